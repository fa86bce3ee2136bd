namespace Ompq.Runtime.Search.Baselines;

/// <summary>
/// Random allocations near the budget (spec §10), seeded: see <see cref="RandomDetails.Rule"/>. Every draw ends
/// feasible and maximal — no unit can gain a bit within the budgets — so its size is within one unit's bit of the
/// budget or at the all-widest allocation; taking the largest of several draws brings it closer.
/// </summary>
public static class RandomAllocation
{
    public const int MaxDraws = 1_000_000;

    /// <returns>The chosen widths and which draw (1-based) they came from.</returns>
    public static (int[] Bits, int Draw) Choose(AllocationProblem problem, int seed, int draws)
    {
        if (draws < 1 || draws > MaxDraws) throw new InvalidInputException($"random draws {draws} is invalid: expected 1..{MaxDraws}");
        if (!problem.IsFeasible(problem.MinBits))
            throw new InvalidInputException("no allocation fits the budgets: even every unit at its narrowest width exceeds them");
        var rng = new Random(seed);
        int[]? best = null;
        long bestSize = -1;
        int bestDraw = 0;
        for (int draw = 1; draw <= draws; draw++)
        {
            int[] bits = Draw(problem, rng);
            long size = Size(problem, bits);
            if (size > bestSize)
            {
                best = bits;
                bestSize = size;
                bestDraw = draw;
            }
        }
        return (best!, bestDraw);
    }

    private static int[] Draw(AllocationProblem p, Random rng)
    {
        int l = p.Count;
        var bits = new int[l];
        for (int i = 0; i < l; i++) bits[i] = rng.Next(p.MinBits[i], p.MaxBits[i] + 1);
        long size = Size(p, bits), ops = Ops(p, bits);
        long opsCapacity = p.OpsCapacity ?? long.MaxValue;
        var candidates = new List<int>(l);
        while (size > p.SizeCapacity || ops > opsCapacity)
        {
            candidates.Clear();
            for (int i = 0; i < l; i++) if (bits[i] > p.MinBits[i]) candidates.Add(i);
            int u = candidates[rng.Next(candidates.Count)]; // non-empty: the all-narrowest allocation fits
            bits[u]--;
            size -= p.SizePerBit[u];
            ops -= p.OpsPerBit[u];
        }
        while (true)
        {
            candidates.Clear();
            for (int i = 0; i < l; i++)
                if (bits[i] < p.MaxBits[i] && size + p.SizePerBit[i] <= p.SizeCapacity && ops + p.OpsPerBit[i] <= opsCapacity) candidates.Add(i);
            if (candidates.Count == 0) return bits;
            int u = candidates[rng.Next(candidates.Count)];
            bits[u]++;
            size += p.SizePerBit[u];
            ops += p.OpsPerBit[u];
        }
    }

    private static long Size(AllocationProblem p, int[] bits)
    {
        long total = 0;
        for (int i = 0; i < p.Count; i++) total += p.SizePerBit[i] * bits[i];
        return total;
    }

    private static long Ops(AllocationProblem p, int[] bits)
    {
        long total = 0;
        for (int i = 0; i < p.Count; i++) total += p.OpsPerBit[i] * bits[i];
        return total;
    }
}
