namespace Ompq.Kernels;

/// <summary>C[M×N] = Alpha·op(A)·op(B) + Beta·C. Leading dimensions are the dense row lengths.</summary>
public readonly record struct GemmShape(int M, int N, int K, bool TransA = false, bool TransB = false, float Alpha = 1f, float Beta = 0f)
{
    public long ASize => (long)M * K;
    public long BSize => (long)K * N;
    public long CSize => (long)M * N;
    public double Flops => 2.0 * M * N * K;

    /// <summary>Plain sizes for messages (not the record's type name and member list).</summary>
    public override string ToString() => $"GEMM M={M} N={N} K={K}";

    public void Validate()
    {
        if (M <= 0 || N <= 0 || K <= 0)
            throw new KernelArgumentException($"GEMM sizes must be positive, got M={M} N={N} K={K}");
        // Panels and tiles are addressed with 32-bit row offsets within each operand.
        SizeArithmetic.RequireIndexable("GEMM", "A size M·K", ASize, this);
        SizeArithmetic.RequireIndexable("GEMM", "B size K·N", BSize, this);
        SizeArithmetic.RequireIndexable("GEMM", "C size M·N", CSize, this);
    }
}
