namespace Ompq.Runtime.Quantization.Ptq;

/// <summary>
/// The symmetric per-output-channel weight grid inference uses (<see cref="LayerQuantization"/>):
/// q = clamp(round(w/s), −2^(b−1), 2^(b−1) − 1), ŵ = q·s, round half to even and a true division, as the kernels do,
/// so that a weight this class puts on the grid is the one inference computes with.
/// </summary>
public readonly record struct WeightGrid(int Bits)
{
    public int QMin => -(1 << (Bits - 1));
    public int QMax => (1 << (Bits - 1)) - 1;

    /// <summary>The grid index of <paramref name="w"/> at scale <paramref name="scale"/> (round to nearest, ties to even, clamped).</summary>
    public float Nearest(float w, float scale) => Clamp(MathF.Round(w / scale, MidpointRounding.ToEven));

    public float Clamp(float q) => MathF.Min(MathF.Max(q, QMin), QMax);

    /// <summary>Every weight (output channel first, one scale per channel) rounded to nearest: s_c·q, on the grid exactly.</summary>
    public float[] RoundToNearest(ReadOnlySpan<float> weight, IReadOnlyList<float> scales)
    {
        int perChannel = weight.Length / scales.Count;
        var rounded = new float[weight.Length];
        for (int i = 0; i < weight.Length; i++)
        {
            float scale = scales[i / perChannel];
            rounded[i] = Nearest(weight[i], scale) * scale;
        }
        return rounded;
    }

    /// <summary>The scale at which the channel's largest magnitude lands on the top level (what training uses).</summary>
    public float MaxAbsScale(ReadOnlySpan<float> channel)
    {
        float max = 0f;
        foreach (float w in channel) max = MathF.Max(max, MathF.Abs(w));
        // A channel of zeros is exact at any scale; 1 keeps the scale positive, as the contract requires.
        return max > 0f ? max / QMax : 1f;
    }
}
