namespace Ompq.Kernels;

/// <summary>
/// A 2-D convolution: input N×C×H×W, weight K×(C/Groups)×R×S, output N×K×P×Q,
/// with P = (H + 2·PadH − DilationH·(R−1) − 1)/StrideH + 1 (and likewise Q), as in PyTorch.
/// Derived sizes are computed in 64-bit; <see cref="Validate"/> refuses any shape whose sizes a kernel could not index.
/// </summary>
public readonly record struct Conv2dShape(
    int N, int C, int H, int W, int K, int R, int S,
    int StrideH = 1, int StrideW = 1, int PadH = 0, int PadW = 0,
    int DilationH = 1, int DilationW = 1, int Groups = 1)
{
    public int P => SizeArithmetic.AsExtent(SizeArithmetic.Outputs(H, PadH, R, StrideH, DilationH));
    public int Q => SizeArithmetic.AsExtent(SizeArithmetic.Outputs(W, PadW, S, StrideW, DilationW));
    public int CPerGroup => Groups > 0 ? C / Groups : 0;
    public int KPerGroup => Groups > 0 ? K / Groups : 0;
    public bool IsDepthwise => Groups == C && Groups == K;

    public long InputSize => SizeArithmetic.Product(N, C, H, W);
    public long WeightSize => SizeArithmetic.Product(K, CPerGroup, R, S);
    public long OutputSize => SizeArithmetic.Product(N, K, P, Q);
    public double Flops => 2.0 * N * K * P * Q * CPerGroup * R * S;

    /// <summary>Floats of the padded plane a CPU window kernel (depthwise) copies each input plane into.</summary>
    public long PaddedPlaneElements => PaddedPlane.For(W, P, Q, R, S, StrideH, StrideW, PadW, DilationH, DilationW).Elements;

    /// <summary>Window taps per output (R·S).</summary>
    public long WindowTaps => (long)R * S;

    /// <summary>Square-kernel convenience constructor (stride, pad, dilation equal in both axes).</summary>
    public static Conv2dShape Square(int n, int c, int h, int w, int k, int kernel, int stride = 1, int pad = 0, int dilation = 1, int groups = 1)
        => new(n, c, h, w, k, kernel, kernel, stride, stride, pad, pad, dilation, dilation, groups);

    /// <summary>Plain sizes for messages (not the record's type name and member list).</summary>
    public override string ToString()
        => $"conv input {N}×{C}×{H}×{W}, weight {K}×{CPerGroup}×{R}×{S}, stride {StrideH}×{StrideW}, padding {PadH}×{PadW}, dilation {DilationH}×{DilationW}, groups {Groups}";

    public void Validate()
    {
        if (N <= 0 || C <= 0 || H <= 0 || W <= 0 || K <= 0 || R <= 0 || S <= 0)
            throw new KernelArgumentException($"conv2d sizes must be positive, got {this}");
        if (StrideH <= 0 || StrideW <= 0 || DilationH <= 0 || DilationW <= 0 || PadH < 0 || PadW < 0)
            throw new KernelArgumentException($"conv2d stride/dilation must be positive and padding non-negative, got {this}");
        if (Groups <= 0 || C % Groups != 0 || K % Groups != 0)
            throw new KernelArgumentException($"conv2d groups={Groups} must divide C={C} and K={K}");
        // Extents in 64-bit: DilationH·(R−1) wraps in 32-bit for kernel 65537 and dilation 65536, and a window that
        // wrapped to nothing would let the kernel read far past its input.
        long paddedH = SizeArithmetic.PaddedExtent(H, PadH), paddedW = SizeArithmetic.PaddedExtent(W, PadW);
        long extentH = SizeArithmetic.WindowExtent(R, DilationH), extentW = SizeArithmetic.WindowExtent(S, DilationW);
        SizeArithmetic.RequireIndexable("conv2d", "padded height", paddedH, this);
        SizeArithmetic.RequireIndexable("conv2d", "padded width", paddedW, this);
        // The (dilated) window must fit in the padded input (PyTorch refuses it; truncating division would report one output row).
        if (paddedH < extentH || paddedW < extentW)
            throw new KernelArgumentException($"conv2d window does not fit in the padded input: {extentH}×{extentW} (dilated) in {paddedH}×{paddedW}, for {this}");
        long p = SizeArithmetic.Outputs(H, PadH, R, StrideH, DilationH), q = SizeArithmetic.Outputs(W, PadW, S, StrideW, DilationW);
        if (p <= 0 || q <= 0)
            throw new KernelArgumentException($"conv2d output would be empty ({p}×{q}) for {this}");
        // Sizes kernels index or count with 32-bit ints: per image, per plane, per window, and the planes of a batch.
        SizeArithmetic.RequireIndexable("conv2d", "input image size C·H·W", SizeArithmetic.Product(C, H, W), this);
        SizeArithmetic.RequireIndexable("conv2d", "output image size K·P·Q", SizeArithmetic.Product(K, p, q), this);
        SizeArithmetic.RequireIndexable("conv2d", "reduction depth (C/groups)·R·S", SizeArithmetic.Product(CPerGroup, R, S), this);
        SizeArithmetic.RequireIndexable("conv2d", "input planes N·C", SizeArithmetic.Product(N, C), this);
        SizeArithmetic.RequireIndexable("conv2d", "output planes N·K", SizeArithmetic.Product(N, K), this);
        SizeArithmetic.RequireIndexable("conv2d", "weight size", WeightSize, this);
        SizeArithmetic.RequireIndexable("conv2d", "padded scratch plane", PaddedPlaneElements, this);
    }
}
