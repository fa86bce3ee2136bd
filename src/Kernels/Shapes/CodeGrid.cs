namespace Ompq.Kernels;

/// <summary>
/// An 8-bit activation grid as stored: value = (code − Zero)·Scale with code in [Min, Max] ⊂ [0, 255]. An unsigned b-bit
/// grid has Zero 0; a signed one is stored offset by 128 (Zero 128), so every code is a byte that u8 × s8 products read,
/// and code order is value order.
/// </summary>
public readonly record struct CodeGrid(float Scale, int Zero, int Min, int Max)
{
    public static CodeGrid Unsigned(int bits, float scale) => new(scale, 0, 0, (1 << bits) - 1);

    public static CodeGrid Signed(int bits, float scale) => new(scale, 128, 128 - (1 << (bits - 1)), 128 + (1 << (bits - 1)) - 1);

    /// <summary>The code of x: clamp(round_half_even(x/Scale) + Zero) (division, as the fake-quant kernels, so ties agree).</summary>
    public int Quantize(float x)
    {
        float q = MathF.Round(x / Scale, MidpointRounding.ToEven) + Zero;
        return (int)MathF.Min(MathF.Max(q, Min), Max);
    }

    public float Dequantize(int code) => (code - Zero) * Scale;

    public void Validate(string what)
    {
        if (!(Scale > 0f) || !float.IsFinite(Scale)) throw new KernelArgumentException($"{what}: grid scale must be positive and finite, got {Scale}");
        if (Zero < 0 || Zero > 255 || Min < 0 || Max > 255 || Min > Max || Zero < Min || Zero > Max)
            throw new KernelArgumentException($"{what}: grid codes must satisfy 0 <= min <= zero <= max <= 255, got {this}");
    }
}
