namespace Ompq.Runtime.Search;

/// <summary>
/// The exact integer optimum of the allocation (spec §6): a multiple-choice knapsack where every unit picks one
/// width from its range, maximising Σ c_i·b_i under the size budget (and the BitOps budget when given) — or, for a
/// problem with per-width values (<see cref="AllocationProblem.WidthValues"/>), the sum of each unit's value at its width.
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
/// Tie rule (both solvers): values that agree to within the rounding bound of a sum of L double products
/// (<see cref="RelativeMargin"/>) count as equal, and among equal optima the lexicographically largest width vector
/// in network order wins — the most bits on the earliest unit, then the next. Branch and bound enumerates in exactly
/// that order (units in network order, widest first), so a later leaf replaces the incumbent only when strictly
/// better, and a tie only replaces the LP-rounded seed when it comes first in that order; the DP's reconstruction
/// keeps the widest of near-equal choices from the first unit on. So a budget that does not bind (a BitOps budget
/// that sends the problem to branch and bound) does not change the result.
/// The margin is the rounding bound, not a tolerance on θ: coefficients are normalised to a largest of 1 (θ is
/// computed in the log domain, see <see cref="LayerImportance"/>), and a unit whose coefficient is below
/// <see cref="Resolution"/> cannot change a double-precision objective, so its width follows the tie rule.
///
/// Per-width values: the DP is the same with each unit's gain table (value above its narrowest width, scaled to a
/// largest magnitude of 1) in place of c_i·t; branch and bound is <see cref="TableBranchAndBound"/>.
/// </summary>
public sealed record IntegerAllocation(int[] Bits, double Objective, long Nodes, string Method, bool ProvenOptimal = true)
{
    /// <summary>Branch-and-bound nodes after which the search stops and reports its best allocation as not proven optimal.</summary>
    public const long NodeLimit = 100_000_000;

    public const string DynamicProgrammingMethod =
        "exact multiple-choice knapsack: dynamic programming over the size grid scaled by gcd of unit sizes; ties to the lexicographically largest widths (more bits on earlier units)";
    public const string BranchAndBoundMethod =
        "exact multiple-choice knapsack: depth-first branch and bound with LP-relaxation bounds, integer feasibility; ties to the lexicographically largest widths (more bits on earlier units)";

    private const double UnitRoundoff = 1.0 / (1L << 53);
    private const long MaxChoiceTableBytes = 64L << 20;

    public static IntegerAllocation Solve(AllocationProblem problem)
    {
        if (problem.OpsCapacity is null && SizeGrid(problem) is var grid && grid.Cells * problem.Count <= MaxChoiceTableBytes)
            return SolveBySizeGrid(problem, grid);
        return SolveByBranchAndBound(problem);
    }

    public static IntegerAllocation SolveByBranchAndBound(AllocationProblem problem)
    {
        if (problem.WidthValues is not null) return TableBranchAndBound.Solve(problem);
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

    /// <summary>
    /// Relative rounding bound of comparing two objectives of <paramref name="units"/> terms each: each sum of L
    /// products is within (L+1)·u of its exact value, and two of them are compared.
    /// </summary>
    public static double RelativeMargin(int units) => 2.0 * (units + 1) * UnitRoundoff;

    /// <summary>
    /// The smallest coefficient, relative to the largest, whose single bit can outweigh the rounding of the
    /// objective (at most 8·L·max c): smaller coefficients are placed by the tie rule, not by θ.
    /// </summary>
    public static double Resolution(int units) => RelativeMargin(units) * BitRange.Highest * Math.Max(units, 1);

    internal static double Margin(double value, int units) => RelativeMargin(units) * Math.Max(1.0, Math.Abs(value));

    private static double ObjectiveOf(AllocationProblem p, int[] bits) => p.Objective(bits);

    /// <summary>
    /// Each unit's gain above its narrowest width, gains[i][t] for width MinBits_i + t, on the normalised scale the
    /// tie margin is relative to: c_i·t with coefficients scaled to a largest of 1, or the width values minus the
    /// narrowest one's, scaled to a largest magnitude of 1 (the optimum is unchanged: each unit takes one width).
    /// </summary>
    internal static double[][] Gains(AllocationProblem original)
    {
        int l = original.Count;
        var gains = new double[l][];
        if (original.WidthValues is not { } values)
        {
            AllocationProblem p = Normalised(original);
            for (int k = 0; k < l; k++)
            {
                double coefficient = p.Coefficients[k];
                var row = gains[k] = new double[p.MaxBits[k] - p.MinBits[k] + 1];
                for (int t = 0; t < row.Length; t++) row[t] = coefficient * t;
            }
            return gains;
        }
        double max = 0;
        for (int k = 0; k < l; k++)
        {
            var row = gains[k] = new double[values[k].Length];
            for (int t = 0; t < row.Length; t++) max = Math.Max(max, Math.Abs(row[t] = values[k][t] - values[k][0]));
        }
        if (max > 0)
            foreach (var row in gains)
                for (int t = 0; t < row.Length; t++) row[t] /= max;
        return gains;
    }

    private static long Gcd(long a, long b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }

    /// <summary>
    /// The gcd g of the sizes of the units that have a choice (1 if none) and the cell count of the g-scaled grid of
    /// extra size above the all-minimum allocation.
    /// </summary>
    private static (long Gcd, long Cells) SizeGrid(AllocationProblem p)
    {
        long g = 0, span = 0;
        for (int i = 0; i < p.Count; i++)
        {
            if (p.MaxBits[i] == p.MinBits[i] || p.SizePerBit[i] == 0) continue;
            g = Gcd(g, p.SizePerBit[i]);
            span += p.SizePerBit[i] * (p.MaxBits[i] - p.MinBits[i]);
        }
        if (g == 0) return (1, 1);
        long residual = Math.Min(p.SizeCapacity - p.MinimumSize(), span);
        return (g, residual / g + 1);
    }

    public static IntegerAllocation SolveBySizeGrid(AllocationProblem p) => SolveBySizeGrid(p, SizeGrid(p));

    private static IntegerAllocation SolveBySizeGrid(AllocationProblem original, (long Gcd, long Cells) grid)
    {
        AllocationProblem p = original;
        double[][] gains = Gains(original);
        int l = p.Count;
        long g = grid.Gcd;
        int cells = checked((int)grid.Cells);

        // best[c] = max Σ gain_i(t_i) over the units processed so far (the suffix k..L−1) with scaled extra size ≤ c.
        var best = new double[cells];
        var next = new double[cells];
        var choice = new byte[l][];
        for (int k = l - 1; k >= 0; k--)
        {
            int range = p.MaxBits[k] - p.MinBits[k];
            long w = p.SizePerBit[k] / g;
            double[] gain = gains[k];
            var pick = choice[k] = new byte[cells];
            for (int c = 0; c < cells; c++)
            {
                int widest = (int)Math.Min(range, w == 0 ? range : c / w);
                // Widest first; a narrower width must be better by more than the margin to replace it, so among
                // (near-)equal optima the widest wins and earlier units get more bits on reconstruction.
                int chosen = widest;
                double value = gain[widest] + best[c - w * widest];
                for (int t = widest - 1; t >= 0; t--)
                {
                    double candidate = gain[t] + best[c - w * t];
                    if (candidate > value + Margin(value, l)) { chosen = t; value = candidate; }
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
        private readonly double _lambda;          // root Lagrange multiplier of the BitOps budget
        private readonly double[]? _lagrangeCoefficients; // c_i − λ·v_i
        private readonly int[]? _lagrangeOrder;
        private readonly long[] _minSizeSuffix;
        private readonly long[] _minOpsSuffix;
        private readonly int[] _current;
        private int[]? _best;
        private double _bestValue = double.NegativeInfinity;
        private long _nodes;
        private bool _stopped;
        private bool _bestFromSearch;          // false while the incumbent is the LP-rounded seed
        private readonly int[] _twin;          // nearest earlier unit with identical weights and widths, or −1
        private readonly bool[] _twinFirst;    // the twin has the larger-or-equal coefficient: b_k ≤ b_twin (else b_k ≥ b_twin)

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
            // Symmetry: two units with the same size and BitOps per bit and the same widths can swap widths; some
            // optimum gives the larger coefficient (on equal ones, the earlier unit) at least as many bits.
            _twin = new int[_l];
            _twinFirst = new bool[_l];
            for (int k = 0; k < _l; k++)
            {
                _twin[k] = -1;
                for (int j = k - 1; j >= 0; j--)
                    if (p.SizePerBit[j] == p.SizePerBit[k] && p.OpsPerBit[j] == p.OpsPerBit[k]
                        && p.MinBits[j] == p.MinBits[k] && p.MaxBits[j] == p.MaxBits[k] && p.MaxBits[k] > p.MinBits[k])
                    {
                        _twin[k] = j;
                        // Coefficients equal to within the rounding bound are equal: the earlier twin gets more bits.
                        _twinFirst[k] = p.Coefficients[j] >= p.Coefficients[k] - RelativeMargin(_l);
                        break;
                    }
            }
            if (p.OpsCapacity is { } opsCap)
            {
                _lambda = RootMultiplier(opsCap - _minOpsSuffix[0], p.SizeCapacity - _minSizeSuffix[0]);
                _lagrangeCoefficients = new double[_l];
                for (int i = 0; i < _l; i++) _lagrangeCoefficients[i] = p.Coefficients[i] - _lambda * p.OpsPerBit[i];
                _lagrangeOrder = ContinuousAllocation.RatioOrder(_lagrangeCoefficients, p.SizePerBit);
            }
        }

        public IntegerAllocation Run()
        {
            SeedIncumbent();
            Visit(0, 0.0, _p.SizeCapacity, _p.OpsCapacity ?? long.MaxValue);
            if (_best is null)
                throw new InvalidOperationException("no feasible allocation although the all-minimum allocation fits");
            return new IntegerAllocation(_best, ObjectiveOf(_p, _best), _nodes, BranchAndBoundMethod, ProvenOptimal: !_stopped);
        }

        /// <param name="value">Σ c_i·b_i over the units already fixed.</param>
        /// <param name="sizeLeft">Size capacity left for units k.. (in bits).</param>
        /// <param name="opsLeft">BitOps capacity left for units k..</param>
        private void Visit(int k, double value, long sizeLeft, long opsLeft)
        {
            if (_stopped) return;
            if (++_nodes > NodeLimit && _best is not null)
            {
                _stopped = true;
                return;
            }
            if (k == _l)
            {
                double margin = Margin(_bestValue, _l);
                if (_best is null || value > _bestValue + margin
                    || (value >= _bestValue - margin && Compare(_current, _best, _l) > 0))
                {
                    _bestValue = value;
                    _best = (int[])_current.Clone();
                    _bestFromSearch = true;
                }
                return;
            }
            if (_best is not null)
            {
                double bound = value + Bound(k, sizeLeft, opsLeft), margin = Margin(_bestValue, _l);
                // Depth-first, widest first, visits leaves in decreasing lexicographic order: once the incumbent
                // came from the search every later leaf is smaller, so a tie cannot replace it. The seed can be
                // replaced by a tie that comes before it, i.e. under a prefix at least as large as its own.
                bool onlyLowerOrderLeft = _bestFromSearch || Compare(_current, _best, k) < 0;
                if (onlyLowerOrderLeft ? bound <= _bestValue + margin : bound < _bestValue - margin) return;
            }

            long size = _p.SizePerBit[k];
            long ops = _p.OpsPerBit[k];
            // Units after k must still fit at their minimum widths.
            long sizeRoom = sizeLeft - _minSizeSuffix[k + 1];
            long opsRoom = opsLeft == long.MaxValue ? long.MaxValue : opsLeft - _minOpsSuffix[k + 1];
            int high = _p.MaxBits[k], low = _p.MinBits[k];
            if (_twin[k] >= 0)
            {
                if (_twinFirst[k]) high = Math.Min(high, _current[_twin[k]]);
                else low = Math.Max(low, _current[_twin[k]]);
            }
            for (int b = high; b >= low; b--)
            {
                long sizeUsed = size * b;
                long opsUsed = ops * b;
                if (sizeUsed > sizeRoom || (opsRoom != long.MaxValue && opsUsed > opsRoom)) continue;
                _current[k] = b;
                Visit(k + 1, value + _p.Coefficients[k] * b, sizeLeft - sizeUsed,
                    opsLeft == long.MaxValue ? long.MaxValue : opsLeft - opsUsed);
            }
        }

        /// <summary>Lexicographic comparison of the first <paramref name="count"/> widths.</summary>
        private static int Compare(int[] a, int[] b, int count)
        {
            for (int i = 0; i < count; i++)
                if (a[i] != b[i]) return a[i].CompareTo(b[i]);
            return 0;
        }

        /// <summary>
        /// Upper bound on Σ c_i·b_i over units k.. given the capacities left: the smallest of the size-only and
        /// BitOps-only LP bounds and the Lagrangian bound λ·(BitOps left) + LP over size with c_i − λ·v_i, where λ is
        /// the root LP's multiplier (valid for any λ ≥ 0 by weak duality; at the root it equals the two-budget LP).
        /// </summary>
        private double Bound(int k, long sizeLeft, long opsLeft)
        {
            long sizeExtra = sizeLeft - _minSizeSuffix[k];
            double bound = GreedyBound(k, _sizeOrder, _p.Coefficients, _p.SizePerBit, sizeExtra);
            if (_opsOrder is not null)
            {
                long opsExtra = opsLeft - _minOpsSuffix[k];
                bound = Math.Min(bound, GreedyBound(k, _opsOrder, _p.Coefficients, _p.OpsPerBit, opsExtra));
                double lagrange = _lambda * opsExtra + GreedyBound(k, _lagrangeOrder!, _lagrangeCoefficients!, _p.SizePerBit, sizeExtra);
                for (int i = k; i < _l; i++) lagrange += _lambda * _p.OpsPerBit[i] * _p.MinBits[i];
                bound = Math.Min(bound, lagrange);
            }
            return bound;
        }

        /// <summary>Σ_{i≥k} coefficient_i·min_i plus the fractional-knapsack optimum of the extra bits under one budget.</summary>
        private double GreedyBound(int k, int[] order, double[] coefficients, long[] weights, long residual)
        {
            double value = 0;
            for (int i = k; i < _l; i++) value += coefficients[i] * _p.MinBits[i];
            double left = residual;
            foreach (int i in order)
            {
                if (i < k) continue;
                int range = _p.MaxBits[i] - _p.MinBits[i];
                if (range == 0 || coefficients[i] <= 0) continue;
                double take = weights[i] == 0 ? range : Math.Min(range, left / weights[i]);
                if (take <= 0) break;
                value += coefficients[i] * take;
                left -= take * weights[i];
            }
            return value;
        }

        /// <summary>
        /// λ ≥ 0 minimising the Lagrangian dual λ·O + max{Σ(c_i − λv_i)t_i : size, box} of the root LP (convex in λ),
        /// by golden-section search; beyond max c_i/v_i every coefficient is negative and the dual only grows.
        /// </summary>
        private double RootMultiplier(long opsExtra, long sizeExtra)
        {
            double hi = 0;
            for (int i = 0; i < _l; i++)
                if (_p.OpsPerBit[i] > 0 && _p.MaxBits[i] > _p.MinBits[i]) hi = Math.Max(hi, _p.Coefficients[i] / _p.OpsPerBit[i]);
            if (hi == 0) return 0;
            var c = new double[_l];
            double Dual(double lambda)
            {
                for (int i = 0; i < _l; i++) c[i] = _p.Coefficients[i] - lambda * _p.OpsPerBit[i];
                int[] order = ContinuousAllocation.RatioOrder(c, _p.SizePerBit);
                double extra = 0, left = sizeExtra;
                foreach (int i in order)
                {
                    int range = _p.MaxBits[i] - _p.MinBits[i];
                    if (range == 0 || c[i] <= 0) continue;
                    double take = _p.SizePerBit[i] == 0 ? range : Math.Min(range, left / _p.SizePerBit[i]);
                    if (take <= 0) break;
                    extra += c[i] * take;
                    left -= take * _p.SizePerBit[i];
                }
                return lambda * opsExtra + extra;
            }
            double a = 0, b = hi, ratio = (Math.Sqrt(5) - 1) / 2;
            double x1 = b - ratio * (b - a), x2 = a + ratio * (b - a), f1 = Dual(x1), f2 = Dual(x2);
            for (int iteration = 0; iteration < 200 && b - a > 1e-15 * hi; iteration++)
            {
                if (f1 <= f2) { b = x2; x2 = x1; f2 = f1; x1 = b - ratio * (b - a); f1 = Dual(x1); }
                else { a = x1; x1 = x2; f1 = f2; x2 = a + ratio * (b - a); f2 = Dual(x2); }
            }
            return Dual(0) <= Math.Min(f1, f2) ? 0 : (a + b) / 2;
        }

        /// <summary>A good first incumbent prunes early: the LP optimum rounded down, then widened greedily while both budgets allow.</summary>
        private void SeedIncumbent()
        {
            double[] lp = ContinuousAllocation.Solve(_p).Bits;
            var bits = new int[_l];
            long size = 0, ops = 0;
            for (int i = 0; i < _l; i++)
            {
                bits[i] = Math.Clamp((int)Math.Floor(lp[i] + 1e-9), _p.MinBits[i], _p.MaxBits[i]);
                size += _p.SizePerBit[i] * bits[i];
                ops += _p.OpsPerBit[i] * bits[i];
            }
            long opsCap = _p.OpsCapacity ?? long.MaxValue;
            if (size > _p.SizeCapacity || ops > opsCap) return; // rounding noise; the search finds its own
            foreach (int i in _sizeOrder)
                while (bits[i] < _p.MaxBits[i] && size + _p.SizePerBit[i] <= _p.SizeCapacity && ops + _p.OpsPerBit[i] <= opsCap)
                {
                    bits[i]++;
                    size += _p.SizePerBit[i];
                    ops += _p.OpsPerBit[i];
                }
            double value = 0;
            for (int i = 0; i < _l; i++) value += _p.Coefficients[i] * bits[i];
            _best = bits;
            _bestValue = value;
        }
    }
}
