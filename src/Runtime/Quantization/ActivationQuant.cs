using Ompq.Kernels;

namespace Ompq.Runtime.Quantization;

/// <summary>
/// Per-tensor fake quantization of the activation a weight layer reads: zero point 0, an unsigned grid
/// [0, 2^bits − 1] where the activation is never negative (after a ReLU), else the symmetric grid
/// [−2^(bits−1), 2^(bits−1) − 1]; x̂ = clamp(round(x/scale))·scale. Zero is exact on both grids, which is what lets
/// an integer kernel pad with zeros.
/// </summary>
public sealed record ActivationQuant(int Bits, float Scale, bool Unsigned)
{
    public QuantParams Grid => Unsigned
        ? new QuantParams(Scale, 0, 0, (1 << Bits) - 1)
        : new QuantParams(Scale, 0, -(1 << (Bits - 1)), (1 << (Bits - 1)) - 1);

    /// <summary>The grid that covers an observed range [min, max] exactly at its ends (min ≥ 0: unsigned).</summary>
    public static ActivationQuant Covering(int bits, float min, float max)
    {
        CheckBits(bits, "activation");
        if (!float.IsFinite(min) || !float.IsFinite(max) || min > max)
            throw new InvalidInputException($"activation range [{min}, {max}] is not a finite interval");
        bool unsigned = min >= 0f;
        float reach = unsigned ? max : MathF.Max(-min, max);
        int qmax = unsigned ? (1 << bits) - 1 : (1 << (bits - 1)) - 1;
        // A constant-zero activation still needs a valid grid: any positive scale represents it exactly.
        float scale = reach > 0f ? reach / qmax : 1f;
        return new ActivationQuant(bits, scale, unsigned);
    }

    /// <summary>Throws <see cref="InvalidInputException"/> unless bits are 2..8 and the scale positive and finite.</summary>
    public void Validate(string layer)
    {
        CheckBits(Bits, $"layer '{layer}': activation");
        if (!(Scale > 0f) || !float.IsFinite(Scale))
            throw new InvalidInputException($"layer '{layer}': activation scale must be a positive finite number, got {Scale}");
    }

    internal static void CheckBits(int bits, string what)
    {
        if (bits < 2 || bits > 8) throw new InvalidInputException($"{what} bit width must be in 2..8, got {bits}");
    }
}
