namespace Ompq.Kernels;

/// <summary>Affine per-tensor quantization grid: q = clamp(round(x/Scale) + ZeroPoint, QMin, QMax).</summary>
public readonly record struct QuantParams(float Scale, int ZeroPoint, int QMin, int QMax)
{
    /// <summary>Unsigned grid [0, 2^bits − 1] for post-ReLU activations covering [0, max].</summary>
    public static QuantParams Unsigned(int bits, float max)
    {
        CheckBits(bits);
        int qmax = (1 << bits) - 1;
        return new(max > 0 ? max / qmax : 1f, 0, 0, qmax);
    }

    /// <summary>Symmetric grid [−2^(bits−1), 2^(bits−1) − 1] covering [−absMax, absMax].</summary>
    public static QuantParams Symmetric(int bits, float absMax)
    {
        CheckBits(bits);
        int qmax = (1 << (bits - 1)) - 1;
        return new(absMax > 0 ? absMax / qmax : 1f, 0, -qmax - 1, qmax);
    }

    public static void CheckBits(int bits)
    {
        if (bits < 2 || bits > 8)
            throw new KernelArgumentException($"bit width must be in 2..8, got {bits}");
    }

    public void Validate()
    {
        if (!(Scale > 0) || float.IsInfinity(Scale))
            throw new KernelArgumentException($"quantization scale must be a positive finite number, got {Scale}");
        if (QMin >= QMax)
            throw new KernelArgumentException($"quantization range [{QMin}, {QMax}] is empty");
    }
}
