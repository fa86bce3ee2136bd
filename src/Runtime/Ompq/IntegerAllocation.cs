namespace Ompq.Runtime.Search;

/// <summary>
/// The exact integer optimum of the allocation (spec §6): a multiple-choice knapsack where every unit picks one
/// width from its range, maximising Σ c_i·b_i under the size budget (and the BitOps budget when given).
/// Feasibility is always tested in exact integer arithmetic (bits, bit-operations), so a returned allocation
/// never exceeds a budget.
///
/// Size budget only: dynamic programming over an exact size grid. Every extra bit of unit i costs P_i bits of
/// storage; dividing all P_i and the capacity by g = gcd(P_i) loses nothing (the left side stays an integer), so
/// the grid has ⌊capacity/g⌋ + 1 cells and the DP is exact. Units are processed from last to first, so the
/// reconstruction from the first unit picks, among optimal allocations, the most bits for the earliest unit,
/// then the next ("prefer more bits earlier"). Cost L·cells·widths; used while the choice table stays ≤ 64 MB.
///
/// With a BitOps budget (two constraints) or a grid too large: depth-first branch and bound over the units in
/// network order, widest width first, bounded by the LP relaxation of the remaining units (for consecutive
/// integer widths with linear value and weight, the relaxation of the choice set is the interval [min, max], so
/// the fractional-knapsack greedy gives it; with two budgets the smaller of the two single-constraint bounds).
///
/// In both, values within a relative 1e-12 count as equal, so the result is optimal to that precision and ties
/// go to more bits on earlier units.
/// </summary>
public sealed record IntegerAllocation(int[] Bits, double Objective, long Nodes, string Method)
{
    public const string DynamicProgrammingMethod =
        "exact multiple-choice knapsack: dynamic programming over the size grid scaled by gcd of unit sizes; ties to more bits on earlier units";
    public const string BranchAndBoundMethod =
        "exact multiple-choice knapsack: depth-first branch and bound with LP-relaxation bounds, integer feasibility; ties to more bits on earlier units";

    private const double RelativeMargin = 1e-12;
    private const long MaxChoiceTableBytes = 64L << 20;

    public static IntegerAllocation Solve(AllocationProblem problem)
        => problem.OpsCapacity is null && GridCells(problem) is { } cells && cells * problem.Count <= MaxChoiceTableBytes
            ? SolveBySizeGrid(problem, cells)
            : SolveByBranchAndBound(problem);

    public static IntegerAllocation SolveByBranchAndBound(AllocationProblem problem)
    {
        var result = new BranchAndBound(Normalised(problem)).Run();
        return result with { Objective = ObjectiveOf(problem, result.Bits) };
    }

    /// <summary>
    /// The same problem with coefficients divided by the largest, so the tie margin is relative to the objective's
    /// real scale (θ can be as small as 1e-70 with a large β) while the optimum is unchanged.
    /// </summary>
    private static AllocationProblem Normalised(AllocationProblem p)
    {
        double max = 0;
        foreach (double c in p.Coefficients)
        {
            if (!double.IsFinite(c) || c < 0) throw new ArgumentException($"coefficients must be finite and >= 0, got {c}");
            max = Math.Max(max, c);
        }
        return max == 0 ? p : p with { Coefficients = p.Coefficients.Select(c => c / max).ToArray() };
    }

    private static double Margin(double value) => RelativeMargin * Math.Max(1.0, Math.Abs(value));

    private static double ObjectiveOf(AllocationProblem p, int[] bits)
    {
        double objective = 0;
        for (int i = 0; i < p.Count; i++) objective += p.Coefficients[i] * bits[i] / 8.0;
        return objective;
    }

    private static long Gcd(long a, long b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }

    /// <summary>Cells of the gcd-scaled grid of extra size above the all-minimum allocation (null if nothing to choose).</summary>
    private static long? GridCells(AllocationProblem p)
    {
        long g = 0, span = 0;
        for (int i = 0; i < p.Count; i++)
        {
            if (p.MaxBits[i] == p.MinBits[i] || p.SizePerBit[i] == 0) continue;
            g = Gcd(g, p.SizePerBit[i]);
            span += p.SizePerBit[i] * (p.MaxBits[i] - p.MinBits[i]);
        }
        if (g == 0) return 1;
        long residual = Math.Min(p.SizeCapacity - p.MinimumSize(), span);
        return residual / g + 1;
    }

    public static IntegerAllocation SolveBySizeGrid(AllocationProblem p) => SolveBySizeGrid(p, GridCells(p) ?? 1);

    private static IntegerAllocation SolveBySizeGrid(AllocationProblem original, long cellCount)
    {
        AllocationProblem p = Normalised(original);
        int l = p.Count;
        long g = 0;
        for (int i = 0; i < l; i++)
            if (p.MaxBits[i] > p.MinBits[i] && p.SizePerBit[i] != 0) g = Gcd(g, p.SizePerBit[i]);
        if (g == 0) g = 1;
        int cells = checked((int)cellCount);

        // best[c] = max Σ c_i·t_i over the units processed so far (the suffix k..L−1) with scaled extra size ≤ c.
        var best = new double[cells];
        var next = new double[cells];
        var choice = new byte[l][];
        for (int k = l - 1; k >= 0; k--)
        {
            int range = p.MaxBits[k] - p.MinBits[k];
            long w = p.SizePerBit[k] / g;
            double coefficient = p.Coefficients[k];
            var pick = choice[k] = new byte[cells];
            for (int c = 0; c < cells; c++)
            {
                int widest = (int)Math.Min(range, w == 0 ? range : c / w);
                // Widest first; a narrower width must be better by more than the margin to replace it, so among
                // (near-)equal optima the widest wins and earlier units get more bits on reconstruction.
                int chosen = widest;
                double value = coefficient * widest + best[c - w * widest];
                for (int t = widest - 1; t >= 0; t--)
                {
                    double candidate = coefficient * t + best[c - w * t];
                    if (candidate > value + Margin(value)) { chosen = t; value = candidate; }
                }
                next[c] = value;
                pick[c] = (byte)chosen;
            }
            (best, next) = (next, best);
        }

        var bits = new int[l];
        long left = cells - 1;
        for (int k = 0; k < l; k++)
        {
            int t = choice[k][left];
            bits[k] = p.MinBits[k] + t;
            left -= p.SizePerBit[k] / g * t;
        }
        return new IntegerAllocation(bits, ObjectiveOf(original, bits), (long)cells * l, DynamicProgrammingMethod);
    }

    private sealed class BranchAndBound
    {
        private readonly AllocationProblem _p;
        private readonly int _l;
        private readonly int[] _sizeOrder;
        private readonly int[]? _opsOrder;
        private readonly long[] _minSizeSuffix;
        private readonly long[] _minOpsSuffix;
        private readonly int[] _current;
        private int[]? _best;
        private double _bestValue = double.NegativeInfinity;
        private long _nodes;

        public BranchAndBound(AllocationProblem p)
        {
            _p = p;
            _l = p.Count;
            _sizeOrder = ContinuousAllocation.RatioOrder(p.Coefficients, p.SizePerBit);
            _opsOrder = p.OpsCapacity is null ? null : ContinuousAllocation.RatioOrder(p.Coefficients, p.OpsPerBit);
            _minSizeSuffix = new long[_l + 1];
            _minOpsSuffix = new long[_l + 1];
            for (int i = _l - 1; i >= 0; i--)
            {
                _minSizeSuffix[i] = _minSizeSuffix[i + 1] + p.SizePerBit[i] * p.MinBits[i];
                _minOpsSuffix[i] = _minOpsSuffix[i + 1] + p.OpsPerBit[i] * p.MinBits[i];
            }
            _current = new int[_l];
        }

        public IntegerAllocation Run()
        {
            Visit(0, 0.0, _p.SizeCapacity, _p.OpsCapacity ?? long.MaxValue);
            if (_best is null)
                throw new InvalidOperationException("no feasible allocation although the all-minimum allocation fits");
            return new IntegerAllocation(_best, ObjectiveOf(_p, _best), _nodes, BranchAndBoundMethod);
        }

        /// <param name="value">Σ c_i·b_i over the units already fixed.</param>
        /// <param name="sizeLeft">Size capacity left for units k.. (in bits).</param>
        /// <param name="opsLeft">BitOps capacity left for units k..</param>
        private void Visit(int k, double value, long sizeLeft, long opsLeft)
        {
            _nodes++;
            if (k == _l)
            {
                if (_best is null || value > _bestValue + Margin(_bestValue))
                {
                    _bestValue = value;
                    _best = (int[])_current.Clone();
                }
                return;
            }
            if (_best is not null && value + Bound(k, sizeLeft, opsLeft) <= _bestValue + Margin(_bestValue)) return;

            long size = _p.SizePerBit[k];
            long ops = _p.OpsPerBit[k];
            // Units after k must still fit at their minimum widths.
            long sizeRoom = sizeLeft - _minSizeSuffix[k + 1];
            long opsRoom = opsLeft == long.MaxValue ? long.MaxValue : opsLeft - _minOpsSuffix[k + 1];
            for (int b = _p.MaxBits[k]; b >= _p.MinBits[k]; b--)
            {
                long sizeUsed = size * b;
                long opsUsed = ops * b;
                if (sizeUsed > sizeRoom || (opsRoom != long.MaxValue && opsUsed > opsRoom)) continue;
                _current[k] = b;
                Visit(k + 1, value + _p.Coefficients[k] * b, sizeLeft - sizeUsed,
                    opsLeft == long.MaxValue ? long.MaxValue : opsLeft - opsUsed);
            }
        }

        /// <summary>Upper bound on Σ c_i·b_i over units k.. given the capacities left.</summary>
        private double Bound(int k, long sizeLeft, long opsLeft)
        {
            double bound = GreedyBound(k, _sizeOrder, _p.SizePerBit, sizeLeft - _minSizeSuffix[k]);
            if (_opsOrder is not null)
                bound = Math.Min(bound, GreedyBound(k, _opsOrder, _p.OpsPerBit, opsLeft - _minOpsSuffix[k]));
            return bound;
        }

        private double GreedyBound(int k, int[] order, long[] weights, long residual)
        {
            double value = 0;
            for (int i = k; i < _l; i++) value += _p.Coefficients[i] * _p.MinBits[i];
            double left = residual;
            foreach (int i in order)
            {
                if (i < k) continue;
                int range = _p.MaxBits[i] - _p.MinBits[i];
                if (range == 0 || _p.Coefficients[i] <= 0) continue;
                double take = weights[i] == 0 ? range : Math.Min(range, left / weights[i]);
                if (take <= 0) break;
                value += _p.Coefficients[i] * take;
                left -= take * weights[i];
            }
            return value;
        }
    }
}
