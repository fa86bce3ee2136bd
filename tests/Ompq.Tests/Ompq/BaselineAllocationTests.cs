using Ompq.Runtime;
using Ompq.Runtime.Search;
using Ompq.Runtime.Search.Baselines;

namespace Ompq.Tests.Search;

/// <summary>
/// The allocators behind the baselines: the exact solver with per-(unit, width) values against brute force, the
/// uniform width, and the seeded random draws.
/// </summary>
public sealed class BaselineAllocationTests
{
    /// <summary>A random problem (some units pinned) with capacities between the all-narrowest and all-widest allocations.</summary>
    private static AllocationProblem RandomProblem(Random rng, int l, bool withOps)
    {
        var size = new long[l];
        var ops = new long[l];
        var min = new int[l];
        var max = new int[l];
        for (int i = 0; i < l; i++)
        {
            size[i] = rng.Next(1, 5000);
            ops[i] = rng.Next(0, 5000);
            min[i] = rng.Next(2, 6);
            max[i] = rng.NextDouble() < 0.15 ? min[i] : Math.Min(8, min[i] + rng.Next(1, 5));
        }
        long Sum(long[] w, int[] b) => w.Zip(b, (x, y) => x * y).Sum();
        long sizeCap = Sum(size, min) + (long)((Sum(size, max) - Sum(size, min)) * rng.NextDouble());
        long? opsCap = withOps ? Sum(ops, min) + (long)((Sum(ops, max) - Sum(ops, min)) * rng.NextDouble()) : null;
        return new AllocationProblem(new double[l], size, ops, min, max, sizeCap, opsCap);
    }

    /// <summary>Values per width as the Hessian baseline makes them (−curvature·error, error falling with the width), or arbitrary.</summary>
    private static double[][] RandomValues(Random rng, AllocationProblem p, bool hawqLike)
    {
        var values = new double[p.Count][];
        for (int i = 0; i < p.Count; i++)
        {
            double curvature = rng.NextDouble() * 10;
            values[i] = Enumerable.Range(p.MinBits[i], p.MaxBits[i] - p.MinBits[i] + 1)
                .Select(b => hawqLike ? -curvature * Math.Pow(4, -b) * (0.5 + rng.NextDouble()) : rng.NextDouble() * 2 - 1)
                .ToArray();
        }
        return values;
    }

    private static IEnumerable<int[]> AllAssignments(AllocationProblem p)
    {
        var b = (int[])p.MinBits.Clone();
        while (true)
        {
            yield return (int[])b.Clone();
            int k = p.Count - 1;
            while (k >= 0 && b[k] == p.MaxBits[k]) { b[k] = p.MinBits[k]; k--; }
            if (k < 0) yield break;
            b[k]++;
        }
    }

    private static long Size(AllocationProblem p, int[] bits) => p.SizePerBit.Zip(bits, (w, b) => w * b).Sum();

    [Theory]
    [InlineData(false, false, true)]  // size only: the size-grid DP with gain tables
    [InlineData(false, true, true)]   // size only, forced branch and bound (concave-hull bounds)
    [InlineData(true, false, true)]   // size + BitOps: branch and bound
    [InlineData(false, false, false)] // arbitrary (non-monotone, non-concave) values
    [InlineData(true, false, false)]
    public void WidthValueOptimumMatchesExhaustiveEnumeration(bool withOps, bool forceBranchAndBound, bool hawqLike)
    {
        var rng = new Random(100 + (withOps ? 1 : 0) + (forceBranchAndBound ? 2 : 0) + (hawqLike ? 4 : 0));
        for (int instance = 0; instance < 80; instance++)
        {
            var p = RandomProblem(rng, rng.Next(1, 7), withOps);
            p = p.WithWidthValues(RandomValues(rng, p, hawqLike));
            int[]? best = null;
            double bestValue = double.NegativeInfinity;
            foreach (var bits in AllAssignments(p))
            {
                if (!p.IsFeasible(bits)) continue;
                double v = p.Objective(bits);
                if (v > bestValue) { bestValue = v; best = bits; }
            }
            Assert.NotNull(best);

            var result = forceBranchAndBound ? IntegerAllocation.SolveByBranchAndBound(p) : IntegerAllocation.Solve(p);
            Assert.Equal(withOps || forceBranchAndBound ? IntegerAllocation.BranchAndBoundMethod : IntegerAllocation.DynamicProgrammingMethod, result.Method);
            Assert.True(p.IsFeasible(result.Bits), $"instance {instance}: infeasible result");
            Assert.True(result.ProvenOptimal);
            Assert.Equal(bestValue, result.Objective, 12);
            Assert.Equal(best, result.Bits); // random values: the optimum is unique
        }
    }

    [Fact]
    public void WidthValuesAreCheckedAgainstTheRanges()
    {
        var p = new AllocationProblem([0, 0], [10, 10], [1, 1], [4, 8], [8, 8], 200, null);
        Assert.Throws<ArgumentException>(() => p.WithWidthValues([[0, 1, 2, 3, 4], [0, 1]]));          // pinned unit: one width
        Assert.Throws<ArgumentException>(() => p.WithWidthValues([[0, 1, 2, 3, double.NaN], [0]]));
        Assert.Throws<ArgumentException>(() => ContinuousAllocation.Solve(p.WithWidthValues([[0, 1, 2, 3, 4], [0]])));
    }

    [Fact]
    public void UniformTakesTheLargestWidthThatFitsAndKeepsPinnedUnits()
    {
        // Units of 100 and 300 params searched in 2..8, a pinned 50-param unit at 8: width b costs 400·b + 400 bits.
        var p = new AllocationProblem([0, 0, 0], [100, 300, 50], [0, 0, 0], [2, 2, 8], [8, 8, 8], 400 * 5 + 400 + 399, null);
        AssertUniform([5, 5, 8], 5, p);
        AssertUniform([8, 8, 8], 8, p with { SizeCapacity = 10_000 });
        AssertUniform([3, 3, 8], 3, p with { SizeCapacity = 400 * 3 + 400 });

        // A BitOps budget binds as well: 7 ops per bit of the first unit allow at most 4 bits there.
        var withOps = p with { SizeCapacity = 10_000, OpsPerBit = [7, 0, 1], OpsCapacity = 7 * 4 + 8 };
        AssertUniform([4, 4, 8], 4, withOps);

        var none = p with { SizeCapacity = 400 * 2 + 399 };
        var error = Assert.Throws<InvalidInputException>(() => UniformAllocation.Choose(none, new BitRange(2, 8)));
        Assert.Contains("no uniform width in 2..8 fits", error.Message);

        static void AssertUniform(int[] bits, int width, AllocationProblem problem)
        {
            var chosen = UniformAllocation.Choose(problem, new BitRange(2, 8));
            Assert.Equal(bits, chosen.Bits);
            Assert.Equal(width, chosen.Width);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RandomIsSeededFeasibleAndFilledToTheBudget(bool withOps)
    {
        var rng = new Random(withOps ? 41 : 43);
        int differs = 0;
        for (int instance = 0; instance < 40; instance++)
        {
            var p = RandomProblem(rng, rng.Next(2, 12), withOps);
            var (bits, draw) = RandomAllocation.Choose(p, seed: instance, draws: 20);
            var again = RandomAllocation.Choose(p, seed: instance, draws: 20);
            Assert.Equal(bits, again.Bits);
            Assert.Equal(draw, again.Draw);
            Assert.InRange(draw, 1, 20);
            Assert.True(p.IsFeasible(bits), $"instance {instance}: infeasible");
            // Maximal: no unit can gain a bit within every budget.
            for (int i = 0; i < p.Count; i++)
            {
                if (bits[i] == p.MaxBits[i]) continue;
                var wider = (int[])bits.Clone();
                wider[i]++;
                Assert.False(p.IsFeasible(wider), $"instance {instance}: unit {i} could still gain a bit");
            }
            // The largest of the draws: one draw alone is never larger.
            Assert.True(Size(p, RandomAllocation.Choose(p, seed: instance, draws: 1).Bits) <= Size(p, bits));
            // Single draws show the seed's effect (the largest of many often coincides on small instances).
            if (!RandomAllocation.Choose(p, seed: instance + 1000, draws: 1).Bits.SequenceEqual(RandomAllocation.Choose(p, seed: instance, draws: 1).Bits)) differs++;
        }
        Assert.True(differs >= 10, $"only {differs} of 40 instances changed with the seed");
    }

    [Fact]
    public void RandomRefusesBadDrawCounts()
    {
        var p = new AllocationProblem([0], [10], [0], [2], [8], 100, null);
        Assert.Throws<InvalidInputException>(() => RandomAllocation.Choose(p, 0, 0));
        Assert.Throws<InvalidInputException>(() => RandomAllocation.Choose(p, 0, RandomAllocation.MaxDraws + 1));
    }
}
