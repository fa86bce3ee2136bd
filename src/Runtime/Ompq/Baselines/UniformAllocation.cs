namespace Ompq.Runtime.Search.Baselines;

/// <summary>Uniform precision (spec §10): every searched unit at the same width, the largest that fits the budgets.</summary>
public static class UniformAllocation
{
    /// <returns>The widths (pinned units at their fixed width) and the common width of the searched units.</returns>
    public static (int[] Bits, int Width) Choose(AllocationProblem problem, BitRange range)
    {
        range.Validate();
        for (int width = range.Max; width >= range.Min; width--)
        {
            int[] bits = At(problem, width);
            if (problem.IsFeasible(bits)) return (bits, width);
        }
        // AllocationProblem.Build already refuses budgets below the all-narrowest allocation; this guards direct callers.
        throw new InvalidInputException($"no uniform width in {range} fits the budgets: even {range.Min} bits on every searched unit exceeds them");
    }

    private static int[] At(AllocationProblem problem, int width)
    {
        var bits = new int[problem.Count];
        for (int i = 0; i < bits.Length; i++)
            bits[i] = Math.Clamp(width, problem.MinBits[i], problem.MaxBits[i]);
        return bits;
    }
}
