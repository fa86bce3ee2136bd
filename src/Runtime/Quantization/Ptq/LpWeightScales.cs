namespace Ompq.Runtime.Quantization.Ptq;

/// <summary>
/// Per-output-channel weight scales by least Lp quantization error (BRECQ's range search, spec §8): for each channel
/// the scale r·max|w_c|/(2^(b−1) − 1) with r among 1.00, 0.99, …, 0.20 whose rounding error Σ|w − ŵ|^p is smallest.
/// p = 2.4 weighs large errors more than MSE but less than max-abs does; clipping a few outliers buys finer steps
/// for the many small weights. The grid is symmetric (zero point 0), as inference's; r = 1 (max-abs) is always a
/// candidate and wins ties, so the search never does worse than max-abs on its own objective.
/// </summary>
public static class LpWeightScales
{
    public const double DefaultNorm = 2.4;

    /// <summary>Candidate clipping ratios, largest first: 1.00 down to 0.20 in steps of 0.01.</summary>
    public static IReadOnlyList<float> Ratios { get; } = Enumerable.Range(0, 81).Select(i => 1f - 0.01f * i).ToArray();

    /// <summary>One scale per output channel of <paramref name="weight"/> (output channel first, <paramref name="channels"/> rows).</summary>
    public static float[] Search(ReadOnlySpan<float> weight, int channels, int bits, double p = DefaultNorm)
    {
        CheckArguments(weight.Length, channels, bits, p);
        var grid = new WeightGrid(bits);
        int perChannel = weight.Length / channels;
        var scales = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            var row = weight.Slice(c * perChannel, perChannel);
            float maxAbsScale = grid.MaxAbsScale(row);
            float best = maxAbsScale;
            double bestError = Error(row, maxAbsScale, bits, p);
            foreach (float ratio in Ratios.Skip(1))
            {
                float scale = maxAbsScale * ratio;
                double error = Error(row, scale, bits, p);
                if (error < bestError) // strictly: ties keep the larger range
                {
                    bestError = error;
                    best = scale;
                }
            }
            scales[c] = best;
        }
        return scales;
    }

    /// <summary>Max-abs scales (r = 1): what quantization-aware training and the search's cost model use.</summary>
    public static float[] MaxAbs(ReadOnlySpan<float> weight, int channels, int bits)
    {
        CheckArguments(weight.Length, channels, bits, 2);
        var grid = new WeightGrid(bits);
        int perChannel = weight.Length / channels;
        var scales = new float[channels];
        for (int c = 0; c < channels; c++) scales[c] = grid.MaxAbsScale(weight.Slice(c * perChannel, perChannel));
        return scales;
    }

    /// <summary>Σ|w − ŵ|^p of one channel rounded to nearest on the grid of <paramref name="scale"/>.</summary>
    public static double Error(ReadOnlySpan<float> channel, float scale, int bits, double p)
    {
        var grid = new WeightGrid(bits);
        double sum = 0;
        foreach (float w in channel)
        {
            float e = MathF.Abs(w - grid.Nearest(w, scale) * scale);
            if (e > 0f) sum += Math.Pow(e, p);
        }
        return sum;
    }

    private static void CheckArguments(int length, int channels, int bits, double p)
    {
        if (channels < 1 || length % channels != 0)
            throw new ArgumentException($"{length} weights do not split into {channels} output channels");
        ActivationQuant.CheckBits(bits, "weight");
        if (!(p > 0) || !double.IsFinite(p)) throw new ArgumentException($"the norm p must be a positive number, got {p}");
    }
}
