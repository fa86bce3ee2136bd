namespace Ompq.Runtime.Search;

/// <summary>
/// Exact branch and bound for an allocation whose objective is a value per (unit, width)
/// (<see cref="AllocationProblem.WidthValues"/>) rather than c_i·b_i: the path <see cref="IntegerAllocation"/> takes
/// for such problems when the size-grid DP does not apply (a BitOps budget, or a grid too large).
///
/// Depth-first over the units in network order, widest width first, with integer feasibility tests. The bound on
/// the units not yet fixed is the LP relaxation of the multiple-choice knapsack: a unit's choices lie on a line in
/// weight (width × size per bit), so its relaxation is the upper concave hull of its gains over the widths, and the
/// relaxation of all of them under one budget is the greedy over every hull segment by gain per unit of weight, the
/// last one taken in part. With two budgets the smaller of the size-only and BitOps-only bounds is used.
/// The linear solver's symmetry breaking and Lagrangian bound rely on values linear in the width and are not used.
///
/// Tie rule as <see cref="IntegerAllocation"/>: values within <see cref="IntegerAllocation.RelativeMargin"/> are
/// equal and the lexicographically largest widths win; leaves are visited in decreasing lexicographic order, so a
/// later leaf replaces the incumbent only when strictly better.
/// </summary>
internal sealed class TableBranchAndBound
{
    private readonly AllocationProblem _p;
    private readonly int _l;
    private readonly double[][] _gains;
    private readonly Segment[] _bySize;
    private readonly Segment[]? _byOps;
    private readonly long[] _minSizeSuffix;
    private readonly long[] _minOpsSuffix;
    private readonly int[] _current;
    private int[]? _best;
    private double _bestValue = double.NegativeInfinity;
    private long _nodes;
    private bool _stopped;

    /// <summary>One rising piece of a unit's concave hull: widths t0 → t0 + Length (above the narrowest), gain Slope per bit.</summary>
    private readonly record struct Segment(int Unit, int Length, double Slope);

    private TableBranchAndBound(AllocationProblem p)
    {
        _p = p;
        _l = p.Count;
        _gains = IntegerAllocation.Gains(p);
        var segments = new List<Segment>();
        for (int i = 0; i < _l; i++) segments.AddRange(RisingHull(i, _gains[i]));
        _bySize = ByValuePerWeight(segments, p.SizePerBit);
        _byOps = p.OpsCapacity is null ? null : ByValuePerWeight(segments, p.OpsPerBit);
        _minSizeSuffix = new long[_l + 1];
        _minOpsSuffix = new long[_l + 1];
        for (int i = _l - 1; i >= 0; i--)
        {
            _minSizeSuffix[i] = _minSizeSuffix[i + 1] + p.SizePerBit[i] * p.MinBits[i];
            _minOpsSuffix[i] = _minOpsSuffix[i + 1] + p.OpsPerBit[i] * p.MinBits[i];
        }
        _current = new int[_l];
    }

    public static IntegerAllocation Solve(AllocationProblem problem)
    {
        var search = new TableBranchAndBound(problem);
        search.Visit(0, 0.0, problem.SizeCapacity, problem.OpsCapacity ?? long.MaxValue);
        if (search._best is not { } best)
            throw new InvalidOperationException("no feasible allocation although the all-minimum allocation fits");
        return new IntegerAllocation(best, problem.Objective(best), search._nodes, IntegerAllocation.BranchAndBoundMethod,
            ProvenOptimal: !search._stopped);
    }

    /// <summary>
    /// The rising part of the upper concave hull of (t, gain[t]), t = 0..R, as segments in order (slopes decreasing
    /// and positive): the LP relaxation never takes a falling segment, and a point below the hull is never worth
    /// a fraction of it.
    /// </summary>
    private static IEnumerable<Segment> RisingHull(int unit, double[] gain)
    {
        var hull = new List<int>();
        for (int t = 0; t < gain.Length; t++)
        {
            // Pop the last point while it lies on or below the chord from its predecessor to t.
            while (hull.Count >= 2)
            {
                int a = hull[^2], b = hull[^1];
                if ((gain[b] - gain[a]) * (t - a) <= (gain[t] - gain[a]) * (b - a)) hull.RemoveAt(hull.Count - 1);
                else break;
            }
            hull.Add(t);
        }
        for (int j = 1; j < hull.Count; j++)
        {
            int from = hull[j - 1], to = hull[j];
            double slope = (gain[to] - gain[from]) / (to - from);
            if (slope <= 0) yield break;
            yield return new Segment(unit, to - from, slope);
        }
    }

    /// <summary>Segments by gain per unit of weight, best first (weightless units first of all); stable, so a unit's own segments stay in order.</summary>
    private static Segment[] ByValuePerWeight(List<Segment> segments, long[] weights)
        => segments
            .OrderByDescending(s => weights[s.Unit] == 0 ? double.PositiveInfinity : s.Slope / weights[s.Unit])
            .ToArray();

    /// <param name="value">Σ gain over the units already fixed.</param>
    /// <param name="sizeLeft">Size capacity left for units k.. (in bits).</param>
    /// <param name="opsLeft">BitOps capacity left for units k..</param>
    private void Visit(int k, double value, long sizeLeft, long opsLeft)
    {
        if (_stopped) return;
        if (++_nodes > IntegerAllocation.NodeLimit && _best is not null)
        {
            _stopped = true;
            return;
        }
        if (k == _l)
        {
            if (_best is null || value > _bestValue + IntegerAllocation.Margin(_bestValue, _l))
            {
                _bestValue = value;
                _best = (int[])_current.Clone();
            }
            return;
        }
        // Every later leaf comes after the incumbent in the visiting order, so it must be strictly better.
        if (_best is not null && value + Bound(k, sizeLeft, opsLeft) <= _bestValue + IntegerAllocation.Margin(_bestValue, _l)) return;

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
            Visit(k + 1, value + _gains[k][b - _p.MinBits[k]], sizeLeft - sizeUsed,
                opsLeft == long.MaxValue ? long.MaxValue : opsLeft - opsUsed);
        }
    }

    private double Bound(int k, long sizeLeft, long opsLeft)
    {
        double bound = Greedy(k, _bySize, _p.SizePerBit, sizeLeft - _minSizeSuffix[k]);
        if (_byOps is not null) bound = Math.Min(bound, Greedy(k, _byOps, _p.OpsPerBit, opsLeft - _minOpsSuffix[k]));
        return bound;
    }

    /// <summary>LP relaxation of units k.. under one budget with <paramref name="residual"/> weight above their narrowest widths.</summary>
    private static double Greedy(int k, Segment[] order, long[] weights, long residual)
    {
        double value = 0, left = residual;
        foreach (var s in order)
        {
            if (s.Unit < k) continue;
            long w = weights[s.Unit];
            double take = w == 0 ? s.Length : Math.Min(s.Length, left / w);
            if (take <= 0) break;
            value += s.Slope * take;
            left -= take * w;
        }
        return value;
    }
}
