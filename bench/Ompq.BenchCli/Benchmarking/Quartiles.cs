namespace Ompq.Benchmarking;

/// <summary>The five-number summary of a sample, with linearly interpolated quartiles (numpy's default rule).</summary>
public readonly record struct Quartiles(double Min, double Q1, double Median, double Q3, double Max)
{
    public static Quartiles Of(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0) throw new ArgumentException("no values", nameof(values));
        return new(sorted[0], At(sorted, 0.25), At(sorted, 0.5), At(sorted, 0.75), sorted[^1]);
    }

    public static double MedianOf(IEnumerable<double> values) => Of(values).Median;

    /// <summary>The value at fraction p of the sorted sample, interpolated between neighbours.</summary>
    private static double At(double[] sorted, double p)
    {
        double position = p * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
