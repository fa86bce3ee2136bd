namespace Ompq.Runtime.Quantization.Ptq;

/// <summary>
/// AdaRound's regulariser schedule: off for the warm-up (the rounding variables first follow the reconstruction
/// alone), then on with β falling linearly from its start to its end, so that the regulariser first only touches
/// undecided variables (large β) and at the end pushes every h to 0 or 1 (small β).
/// </summary>
public static class RoundingSchedule
{
    /// <summary>The regulariser weight and β at <paramref name="iteration"/> (0-based) of <paramref name="iterations"/>.</summary>
    public static (float Lambda, float Beta) At(int iteration, int iterations, PtqOptions options)
    {
        int warmup = (int)(options.WarmupFraction * iterations);
        if (iteration < warmup) return (0f, options.BetaStart);
        float progress = iterations - warmup <= 1 ? 1f : (float)(iteration - warmup) / (iterations - 1 - warmup);
        float beta = options.BetaEnd + (options.BetaStart - options.BetaEnd) * Math.Max(0f, 1f - progress);
        return (options.RoundingWeight, beta);
    }
}
