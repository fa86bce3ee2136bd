namespace Ompq.Kernels;

/// <summary>Pooling over N×C×H×W with a R×S window; output N×C×P×Q (floor mode, as PyTorch's default).</summary>
public readonly record struct Pool2dShape(
    int N, int C, int H, int W, int R, int S,
    int StrideH, int StrideW, int PadH = 0, int PadW = 0, bool CountIncludePad = true)
{
    public int P => (H + 2 * PadH - R) / StrideH + 1;
    public int Q => (W + 2 * PadW - S) / StrideW + 1;
    public long InputSize => (long)N * C * H * W;
    public long OutputSize => (long)N * C * P * Q;

    public static Pool2dShape Square(int n, int c, int h, int w, int kernel, int stride, int pad = 0, bool countIncludePad = true)
        => new(n, c, h, w, kernel, kernel, stride, stride, pad, pad, countIncludePad);

    public void Validate()
    {
        if (N <= 0 || C <= 0 || H <= 0 || W <= 0 || R <= 0 || S <= 0 || StrideH <= 0 || StrideW <= 0)
            throw new KernelArgumentException($"pool sizes must be positive, got {this}");
        if (PadH < 0 || PadW < 0 || 2 * PadH > R || 2 * PadW > S)
            throw new KernelArgumentException($"pool padding must be in [0, kernel/2], got {this}");
        // As for convolution: a window larger than the padded input must not yield a truncated-division output row.
        if (H + 2 * PadH < R || W + 2 * PadW < S)
            throw new KernelArgumentException($"pool window does not fit in the padded input for {this}");
        if (P <= 0 || Q <= 0)
            throw new KernelArgumentException($"pool output would be empty ({P}×{Q}) for {this}");
    }
}
