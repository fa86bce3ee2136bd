namespace Ompq.Kernels;

/// <summary>y[Batch×Out] = x[Batch×In]·Wᵀ + bias.</summary>
public readonly record struct LinearShape(int Batch, int In, int Out)
{
    public double Flops => 2.0 * Batch * In * Out;

    /// <summary>Plain sizes for messages (not the record's type name and member list).</summary>
    public override string ToString() => $"linear batch={Batch} in={In} out={Out}";

    public void Validate()
    {
        if (Batch <= 0 || In <= 0 || Out <= 0)
            throw new KernelArgumentException($"linear sizes must be positive, got batch={Batch} in={In} out={Out}");
        // Run as a GEMM: its operands are indexed with 32-bit offsets.
        SizeArithmetic.RequireIndexable("linear", "input size batch·in", (long)Batch * In, this);
        SizeArithmetic.RequireIndexable("linear", "weight size out·in", (long)Out * In, this);
        SizeArithmetic.RequireIndexable("linear", "output size batch·out", (long)Batch * Out, this);
    }
}
