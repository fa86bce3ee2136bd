namespace Ompq.Kernels;

/// <summary>
/// Pooling over N×C×H×W with a R×S window; output N×C×P×Q (floor mode, as PyTorch's default).
/// Derived sizes are computed in 64-bit; <see cref="Validate"/> refuses any shape whose sizes a kernel could not index.
/// </summary>
public readonly record struct Pool2dShape(
    int N, int C, int H, int W, int R, int S,
    int StrideH, int StrideW, int PadH = 0, int PadW = 0, bool CountIncludePad = true)
{
    public int P => SizeArithmetic.AsExtent(SizeArithmetic.Outputs(H, PadH, R, StrideH, 1));
    public int Q => SizeArithmetic.AsExtent(SizeArithmetic.Outputs(W, PadW, S, StrideW, 1));
    public long InputSize => SizeArithmetic.Product(N, C, H, W);
    public long OutputSize => SizeArithmetic.Product(N, C, P, Q);

    /// <summary>Floats of the padded plane the CPU pooling kernels copy each input plane into.</summary>
    public long PaddedPlaneElements => PaddedPlane.For(W, P, Q, R, S, StrideH, StrideW, PadW, 1, 1).Elements;

    /// <summary>Window taps per output (R·S).</summary>
    public long WindowTaps => (long)R * S;

    public static Pool2dShape Square(int n, int c, int h, int w, int kernel, int stride, int pad = 0, bool countIncludePad = true)
        => new(n, c, h, w, kernel, kernel, stride, stride, pad, pad, countIncludePad);

    /// <summary>Plain sizes for messages (not the record's type name and member list).</summary>
    public override string ToString()
        => $"pool input {N}×{C}×{H}×{W}, window {R}×{S}, stride {StrideH}×{StrideW}, padding {PadH}×{PadW}";

    public void Validate()
    {
        if (N <= 0 || C <= 0 || H <= 0 || W <= 0 || R <= 0 || S <= 0 || StrideH <= 0 || StrideW <= 0)
            throw new KernelArgumentException($"pool sizes must be positive, got {this}");
        if (PadH < 0 || PadW < 0 || 2L * PadH > R || 2L * PadW > S)
            throw new KernelArgumentException($"pool padding must be in [0, kernel/2], got {this}");
        long paddedH = SizeArithmetic.PaddedExtent(H, PadH), paddedW = SizeArithmetic.PaddedExtent(W, PadW);
        SizeArithmetic.RequireIndexable("pool", "padded height", paddedH, this);
        SizeArithmetic.RequireIndexable("pool", "padded width", paddedW, this);
        // As for convolution: a window larger than the padded input must not yield a truncated-division output row.
        if (paddedH < R || paddedW < S)
            throw new KernelArgumentException($"pool window does not fit in the padded input: {R}×{S} in {paddedH}×{paddedW}, for {this}");
        long p = SizeArithmetic.Outputs(H, PadH, R, StrideH, 1), q = SizeArithmetic.Outputs(W, PadW, S, StrideW, 1);
        if (p <= 0 || q <= 0)
            throw new KernelArgumentException($"pool output would be empty ({p}×{q}) for {this}");
        SizeArithmetic.RequireIndexable("pool", "input plane H·W", SizeArithmetic.Product(H, W), this);
        SizeArithmetic.RequireIndexable("pool", "output plane P·Q", SizeArithmetic.Product(p, q), this);
        SizeArithmetic.RequireIndexable("pool", "planes N·C", SizeArithmetic.Product(N, C), this);
        SizeArithmetic.RequireIndexable("pool", "window R·S", WindowTaps, this);
        SizeArithmetic.RequireIndexable("pool", "padded scratch plane", PaddedPlaneElements, this);
    }
}
