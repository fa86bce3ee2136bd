namespace Ompq.Runtime.Search;

/// <summary>
/// The continuous relaxation of the allocation (spec §5), solved exactly. Bits are continuous in [min, max]
/// (x_i = b_i/8 in the spec's variables); <see cref="Objective"/> is Σ c_i·x_i.
/// With only the size constraint the optimum is the fractional-knapsack greedy: fill units in order of c_i per
/// size-bit, the last one partially. A second (BitOps) constraint breaks the greedy, so then a dense simplex
/// solves the LP.
/// </summary>
public sealed record ContinuousAllocation(double[] Bits, double Objective, string Method)
{
    public const string GreedyMethod = "fractional-knapsack greedy by c_i/P_i (exact LP optimum, one constraint)";
    public const string SimplexMethod = "dense primal simplex with Bland's rule (exact LP optimum, size + BitOps constraints)";

    public static ContinuousAllocation Solve(AllocationProblem problem)
    {
        if (problem.WidthValues is not null)
            throw new ArgumentException("the continuous relaxation is defined for the linear objective Σ c_i·b_i, not for per-width values");
        double[] bits = problem.OpsCapacity is null ? Greedy(problem) : Simplex(problem);
        double objective = 0;
        for (int i = 0; i < bits.Length; i++) objective += problem.Coefficients[i] * bits[i] / 8.0;
        return new ContinuousAllocation(bits, objective, problem.OpsCapacity is null ? GreedyMethod : SimplexMethod);
    }

    private static double[] Greedy(AllocationProblem p)
    {
        int l = p.Count;
        var bits = new double[l];
        for (int i = 0; i < l; i++) bits[i] = p.MinBits[i];
        double residual = p.SizeCapacity - p.MinimumSize();
        foreach (int i in RatioOrder(p.Coefficients, p.SizePerBit))
        {
            int range = p.MaxBits[i] - p.MinBits[i];
            if (range == 0 || p.Coefficients[i] <= 0) continue;
            double take = p.SizePerBit[i] == 0 ? range : Math.Min(range, residual / p.SizePerBit[i]);
            if (take <= 0) break;
            bits[i] += take;
            residual -= take * p.SizePerBit[i];
        }
        return bits;
    }

    private static double[] Simplex(AllocationProblem p)
    {
        // Variables y_k = b_i − min_i for the units that have a choice; rows: size, BitOps, then y_k ≤ range.
        var free = Enumerable.Range(0, p.Count).Where(i => p.MaxBits[i] > p.MinBits[i]).ToArray();
        int n = free.Length;
        var bits = new double[p.Count];
        for (int i = 0; i < p.Count; i++) bits[i] = p.MinBits[i];
        if (n == 0) return bits;

        // Coefficients scaled to a largest of 1: θ can be 1e-70 and the simplex tolerance is absolute.
        double cMax = p.Coefficients.Max();
        double cScale = cMax > 0 ? 1.0 / cMax : 1.0;
        var c = new double[n];
        var a = new double[2 + n][];
        var b = new double[2 + n];
        a[0] = new double[n];
        a[1] = new double[n];
        for (int k = 0; k < n; k++)
        {
            int i = free[k];
            c[k] = p.Coefficients[i] * cScale;
            a[0][k] = p.SizePerBit[i];
            a[1][k] = p.OpsPerBit[i];
            a[2 + k] = new double[n];
            a[2 + k][k] = 1;
            b[2 + k] = p.MaxBits[i] - p.MinBits[i];
        }
        b[0] = p.SizeCapacity - p.MinimumSize();
        b[1] = p.OpsCapacity!.Value - p.MinimumOps();

        double[] y = DenseSimplex.Maximize(c, a, b);
        for (int k = 0; k < n; k++)
        {
            int i = free[k];
            bits[i] = Math.Clamp(p.MinBits[i] + y[k], p.MinBits[i], p.MaxBits[i]);
        }
        return bits;
    }

    /// <summary>Units by value per unit of weight, best first; zero-weight units first; ties by index (deterministic).</summary>
    internal static int[] RatioOrder(double[] coefficients, long[] weights)
    {
        var order = Enumerable.Range(0, coefficients.Length).ToArray();
        double Ratio(int i) => weights[i] == 0 ? double.PositiveInfinity : coefficients[i] / weights[i];
        Array.Sort(order, (x, y) =>
        {
            int byRatio = Ratio(y).CompareTo(Ratio(x));
            return byRatio != 0 ? byRatio : x.CompareTo(y);
        });
        return order;
    }
}
