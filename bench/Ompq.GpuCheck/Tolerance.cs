namespace Ompq.GpuCheck;

/// <summary>
/// How close the device result must be to the CPU backend's. Sums computed in a different order differ by rounding
/// that grows with the reduction length, so products and convolutions are compared against the result's RMS;
/// quantized outputs may move by one quantization step where a value sits on a rounding tie.
/// </summary>
internal sealed record Tolerance(float Relative, float RmsRelative, double StepFlipFraction = 0, float Step = 0)
{
    /// <summary>Bit-identical up to a few ulps: elementwise ops, pooling, min/max.</summary>
    public static Tolerance Tight => new(1e-6f, 1e-7f);

    /// <summary>Reductions of thousands of products in fp32 (GEMM, conv, Gram).</summary>
    public static Tolerance Accumulated => new(1e-4f, 2e-4f);

    public static Tolerance Quantized(float step) => new(1e-4f, 2e-4f, 2e-3, step * 1.001f);
}

/// <summary>The outcome of comparing one op's output.</summary>
internal sealed record Comparison(bool Passed, string Detail)
{
    public static Comparison Of(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, Tolerance tolerance)
    {
        if (expected.Length != actual.Length) return new(false, $"length {actual.Length}, expected {expected.Length}");
        double sumSquares = 0;
        foreach (float v in expected) sumSquares += (double)v * v;
        float rms = expected.Length == 0 ? 0 : (float)Math.Sqrt(sumSquares / expected.Length);
        long outside = 0, stepFlips = 0;
        double worst = 0;
        int worstIndex = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            float diff = Math.Abs(actual[i] - expected[i]);
            float limit = tolerance.Relative * Math.Abs(expected[i]) + tolerance.RmsRelative * rms;
            if (!(diff <= limit))
            {
                if (tolerance.Step > 0 && diff <= tolerance.Step) { stepFlips++; continue; }
                outside++;
            }
            double ratio = limit > 0 ? diff / limit : (diff > 0 ? double.PositiveInfinity : 0);
            if (double.IsNaN(ratio) || ratio > worst) { worst = double.IsNaN(ratio) ? double.PositiveInfinity : ratio; worstIndex = i; }
        }
        bool flipsOk = stepFlips <= tolerance.StepFlipFraction * expected.Length;
        string detail = $"worst err/limit {worst:0.###}" + (worstIndex >= 0 ? $" at [{worstIndex}] (got {actual[worstIndex]:g6}, want {expected[worstIndex]:g6})" : "")
            + (tolerance.Step > 0 ? $", {stepFlips} one-step flips" : "")
            + (outside > 0 ? $", {outside}/{expected.Length} outside" : "");
        return new(outside == 0 && flipsOk, detail);
    }
}
