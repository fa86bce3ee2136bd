using System.Numerics;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Search;

namespace Ompq.Tests.Search;

/// <summary>
/// The integer solvers' comparison: a margin that is only the rounding bound (tiny coefficients still decide), and
/// one tie rule for the DP and branch and bound, so a budget that does not bind changes nothing.
/// </summary>
public sealed class TieRuleTests
{
    [Fact]
    public void CoefficientsFarBelowTheLargestStillDecide()
    {
        // Unit 0 dominates the objective (value ≈ 8); units 1 and 2 compete for one extra bit and differ by 1e-13 —
        // the old 1e-12 relative margin called that a tie and gave the bit to unit 1 by the tie rule.
        var p = new AllocationProblem([1, 1e-13, 2e-13], [10, 10, 10], [1, 1, 1], [8, 2, 2], [8, 3, 3], 10 * (8 + 2 + 2 + 1), null);
        Assert.Equal([8, 2, 3], IntegerAllocation.Solve(p).Bits);
        Assert.Equal([8, 2, 3], IntegerAllocation.SolveByBranchAndBound(p).Bits);
        Assert.Equal([8, 2, 3], IntegerAllocation.Solve(p with { OpsCapacity = 1000 }).Bits);
        Assert.True(1e-13 > IntegerAllocation.Resolution(3));
    }

    /// <summary>Σ c_i·b_i exactly: every coefficient ≥ 2^-148 is an integer after scaling by 2^200.</summary>
    private static BigInteger ExactObjective(double[] c, int[] bits)
    {
        BigInteger sum = 0;
        for (int i = 0; i < c.Length; i++) sum += new BigInteger(Math.ScaleB(c[i], 200)) * bits[i];
        return sum;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LogDomainCoefficientsMatchExactEnumeration(bool withOps)
    {
        // Coefficients as θ in the log domain gives them with β·Δγ up to 27 (down to 2e-12 of the largest): the
        // solvers must find the exact optimum (exact arithmetic, ties to the lexicographically largest widths).
        var rng = new Random(withOps ? 41 : 43);
        for (int instance = 0; instance < 80; instance++)
        {
            int l = rng.Next(2, 7);
            var c = Enumerable.Range(0, l).Select(_ => Math.Exp(-27 * rng.NextDouble())).ToArray();
            if (rng.NextDouble() < 0.3) c[rng.Next(l)] = c[0]; // exact ties too
            var size = Enumerable.Range(0, l).Select(_ => (long)rng.Next(1, 6) * 100).ToArray();
            var ops = Enumerable.Range(0, l).Select(_ => (long)rng.Next(1, 2000)).ToArray();
            var min = Enumerable.Repeat(2, l).ToArray();
            var max = Enumerable.Range(0, l).Select(_ => rng.Next(2, 6)).ToArray();
            long minSize = 0, maxSize = 0, maxOps = 0;
            for (int i = 0; i < l; i++) { minSize += size[i] * 2; maxSize += size[i] * max[i]; maxOps += ops[i] * max[i]; }
            var p = new AllocationProblem(c, size, ops, min, max, minSize + (long)((maxSize - minSize) * rng.NextDouble()),
                withOps ? (long)(maxOps * (0.6 + 0.4 * rng.NextDouble())) : null);
            if (withOps && p.MinimumOps() > p.OpsCapacity) continue;

            int[]? best = null;
            BigInteger bestValue = -1;
            var b = (int[])min.Clone();
            while (true)
            {
                long s = 0, o = 0;
                for (int i = 0; i < l; i++) { s += size[i] * b[i]; o += ops[i] * b[i]; }
                if (s <= p.SizeCapacity && (p.OpsCapacity is not { } cap || o <= cap))
                {
                    var v = ExactObjective(c, b);
                    // Enumeration runs in increasing lexicographic order, so >= keeps the largest among ties.
                    if (v >= bestValue) { bestValue = v; best = (int[])b.Clone(); }
                }
                int k = l - 1;
                while (k >= 0 && b[k] == max[k]) { b[k] = min[k]; k--; }
                if (k < 0) break;
                b[k]++;
            }
            Assert.Equal(best, IntegerAllocation.Solve(p).Bits);
            Assert.Equal(best, IntegerAllocation.SolveByBranchAndBound(p).Bits);
        }
    }

    [Theory]
    [InlineData(6.2)]
    [InlineData(6.0)]
    [InlineData(6.7)]
    [InlineData(7.5)]
    public void ANonBindingBitOpsBudgetChangesNothingOnResNet18(double sizeMiB)
    {
        // β = 0: every coefficient is 1, so only the tie rule separates the many optima. Without a BitOps budget the
        // DP decides, with one the branch and bound; both must return the same widths.
        using var model = ModelZoo.Create("resnet18");
        var costs = new CostModel(model.Units(SearchMode.Qat), model.Fixed(SearchMode.Qat), 8);
        var ones = Enumerable.Repeat(1.0, costs.Units.Count).ToArray();
        var sizeOnly = AllocationProblem.Build(costs, ones, BitRange.Default(SearchMode.Qat), sizeMiB, null);
        var withOps = AllocationProblem.Build(costs, ones, BitRange.Default(SearchMode.Qat), sizeMiB, 1000);
        var dp = IntegerAllocation.Solve(sizeOnly);
        var bb = IntegerAllocation.Solve(withOps);
        Assert.Equal(IntegerAllocation.DynamicProgrammingMethod, dp.Method);
        Assert.Equal(IntegerAllocation.BranchAndBoundMethod, bb.Method);
        Assert.Equal(dp.Objective, bb.Objective);
        Assert.Equal(dp.Bits, bb.Bits);
    }
}
