namespace Ompq.Kernels;

/// <summary>
/// A 2-D convolution: input N×C×H×W, weight K×(C/Groups)×R×S, output N×K×P×Q,
/// with P = (H + 2·PadH − DilationH·(R−1) − 1)/StrideH + 1 (and likewise Q), as in PyTorch.
/// </summary>
public readonly record struct Conv2dShape(
    int N, int C, int H, int W, int K, int R, int S,
    int StrideH = 1, int StrideW = 1, int PadH = 0, int PadW = 0,
    int DilationH = 1, int DilationW = 1, int Groups = 1)
{
    public int P => (H + 2 * PadH - DilationH * (R - 1) - 1) / StrideH + 1;
    public int Q => (W + 2 * PadW - DilationW * (S - 1) - 1) / StrideW + 1;
    public int CPerGroup => C / Groups;
    public int KPerGroup => K / Groups;
    public bool IsDepthwise => Groups == C && Groups == K;

    public long InputSize => (long)N * C * H * W;
    public long WeightSize => (long)K * CPerGroup * R * S;
    public long OutputSize => (long)N * K * P * Q;
    public double Flops => 2.0 * N * K * P * Q * CPerGroup * R * S;

    /// <summary>Square-kernel convenience constructor (stride, pad, dilation equal in both axes).</summary>
    public static Conv2dShape Square(int n, int c, int h, int w, int k, int kernel, int stride = 1, int pad = 0, int dilation = 1, int groups = 1)
        => new(n, c, h, w, k, kernel, kernel, stride, stride, pad, pad, dilation, dilation, groups);

    public void Validate()
    {
        if (N <= 0 || C <= 0 || H <= 0 || W <= 0 || K <= 0 || R <= 0 || S <= 0)
            throw new KernelArgumentException($"conv2d sizes must be positive, got {this}");
        if (StrideH <= 0 || StrideW <= 0 || DilationH <= 0 || DilationW <= 0 || PadH < 0 || PadW < 0)
            throw new KernelArgumentException($"conv2d stride/dilation must be positive and padding non-negative, got {this}");
        // The (dilated) window must fit in the padded input: P and Q use C# division, which truncates a negative
        // numerator toward zero and would report one output row where PyTorch reports none.
        if (H + 2 * PadH < DilationH * (R - 1) + 1 || W + 2 * PadW < DilationW * (S - 1) + 1)
            throw new KernelArgumentException($"conv2d window does not fit in the padded input for {this}");
        if (Groups <= 0 || C % Groups != 0 || K % Groups != 0)
            throw new KernelArgumentException($"conv2d groups={Groups} must divide C={C} and K={K}");
        if (P <= 0 || Q <= 0)
            throw new KernelArgumentException($"conv2d output would be empty ({P}×{Q}) for {this}");
    }
}
