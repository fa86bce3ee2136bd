namespace Ompq.Runtime.Quantization.Ptq;

/// <summary>
/// A per-tensor activation step chosen by search: among steps r·reach/qmax (r = 1.00, 0.99, …, 0.05; reach = the
/// observed maximum for an unsigned grid, else max(−min, max)), the one whose fake quantization has the least squared
/// error on the calibration sample. Unsigned when the activation is never negative (after a ReLU), as
/// <see cref="ActivationQuant"/> defines. Clipping rare large values buys a finer step for the bulk; r = 1 (covering
/// the whole range) is a candidate and wins ties.
/// </summary>
public static class ActivationStepSearch
{
    /// <summary>Candidate fractions of the observed reach, largest first.</summary>
    public static IReadOnlyList<float> Ratios { get; } = Enumerable.Range(0, 96).Select(i => 1f - 0.01f * i).ToArray();

    public static ActivationQuant Search(int bits, ActivationSample sample)
    {
        ActivationQuant.CheckBits(bits, "activation");
        if (sample.Seen == 0) throw new ArgumentException("the activation sample is empty");
        var covering = ActivationQuant.Covering(bits, sample.Min, sample.Max);
        var best = covering;
        double bestError = Error(sample.Values, covering);
        foreach (float ratio in Ratios.Skip(1))
        {
            var candidate = covering with { Scale = covering.Scale * ratio };
            double error = Error(sample.Values, candidate);
            if (error < bestError)
            {
                bestError = error;
                best = candidate;
            }
        }
        return best;
    }

    /// <summary>Σ(x − x̂)² on the grid, with the kernels' rounding (division, ties to even).</summary>
    public static double Error(ReadOnlySpan<float> values, ActivationQuant grid)
    {
        var q = grid.Grid;
        double sum = 0;
        foreach (float x in values)
        {
            float level = MathF.Min(MathF.Max(MathF.Round(x / q.Scale, MidpointRounding.ToEven), q.QMin), q.QMax);
            float e = x - level * q.Scale;
            sum += (double)e * e;
        }
        return sum;
    }
}
