using Ompq.Runtime;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Search;

namespace Ompq.Tests.Search;

/// <summary>The LP and integer solvers against brute force on small random instances.</summary>
public sealed class AllocationTests
{
    private static AllocationProblem RandomProblem(Random rng, int l, bool withOps, double fill)
    {
        var c = new double[l];
        var size = new long[l];
        var ops = new long[l];
        var min = new int[l];
        var max = new int[l];
        for (int i = 0; i < l; i++)
        {
            c[i] = rng.NextDouble() + 0.01;
            size[i] = rng.Next(1, 5000);
            ops[i] = rng.Next(1, 5000);
            min[i] = rng.Next(2, 6);
            max[i] = Math.Min(8, min[i] + rng.Next(0, 4));
            if (rng.NextDouble() < 0.15) max[i] = min[i]; // a pinned unit
        }
        long minSize = 0, maxSize = 0, minOps = 0, maxOps = 0;
        for (int i = 0; i < l; i++)
        {
            minSize += size[i] * min[i]; maxSize += size[i] * max[i];
            minOps += ops[i] * min[i]; maxOps += ops[i] * max[i];
        }
        long sizeCap = minSize + (long)((maxSize - minSize) * fill);
        long? opsCap = withOps ? minOps + (long)((maxOps - minOps) * rng.NextDouble()) : null;
        return new AllocationProblem(c, size, ops, min, max, sizeCap, opsCap);
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

    private static bool Feasible(AllocationProblem p, IReadOnlyList<int> bits)
    {
        long size = 0, ops = 0;
        for (int i = 0; i < p.Count; i++) { size += p.SizePerBit[i] * bits[i]; ops += p.OpsPerBit[i] * bits[i]; }
        return size <= p.SizeCapacity && (p.OpsCapacity is not { } cap || ops <= cap);
    }

    private static double Objective(AllocationProblem p, IReadOnlyList<int> bits)
    {
        double v = 0;
        for (int i = 0; i < p.Count; i++) v += p.Coefficients[i] * bits[i] / 8.0;
        return v;
    }

    [Theory]
    [InlineData(false, false)] // size only: the gcd-scaled size-grid DP
    [InlineData(false, true)]  // size only, forced branch and bound
    [InlineData(true, false)]  // size + BitOps: branch and bound
    public void IntegerOptimumMatchesExhaustiveEnumeration(bool withOps, bool forceBranchAndBound)
    {
        var rng = new Random(withOps ? 11 : forceBranchAndBound ? 13 : 7);
        for (int instance = 0; instance < 60; instance++)
        {
            var p = RandomProblem(rng, rng.Next(1, 7), withOps, rng.NextDouble());
            int[]? best = null;
            double bestValue = double.NegativeInfinity;
            foreach (var bits in AllAssignments(p))
            {
                if (!Feasible(p, bits)) continue;
                double v = Objective(p, bits);
                if (v > bestValue) { bestValue = v; best = bits; }
            }
            Assert.NotNull(best);

            var result = forceBranchAndBound ? IntegerAllocation.SolveByBranchAndBound(p) : IntegerAllocation.Solve(p);
            Assert.Equal(withOps || forceBranchAndBound ? IntegerAllocation.BranchAndBoundMethod : IntegerAllocation.DynamicProgrammingMethod, result.Method);
            Assert.True(Feasible(p, result.Bits), $"instance {instance}: infeasible result");
            Assert.Equal(bestValue, result.Objective, 10);
            Assert.Equal(best, result.Bits); // random coefficients: the optimum is unique
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TinyCoefficientsGiveTheSameAllocation(bool withOps)
    {
        // θ = exp(−β·γ) reaches 1e-70 for large β; the solvers' tolerances must not treat that as zero.
        var rng = new Random(withOps ? 31 : 29);
        for (int instance = 0; instance < 20; instance++)
        {
            var p = RandomProblem(rng, 6, withOps, 0.5);
            var tiny = p with { Coefficients = p.Coefficients.Select(c => c * 1e-70).ToArray() };
            Assert.Equal(IntegerAllocation.Solve(p).Bits, IntegerAllocation.Solve(tiny).Bits);
            Assert.Equal(ContinuousAllocation.Solve(p).Objective * 1e-70, ContinuousAllocation.Solve(tiny).Objective, 1e-80);
            Assert.True(ContinuousAllocation.Solve(tiny).Objective >= IntegerAllocation.Solve(tiny).Objective * (1 - 1e-12));
        }
    }

    [Fact]
    public void IntegerTiesPreferMoreBitsOnEarlierUnits()
    {
        // Three identical units, room for exactly five extra bits over the minimum: the first unit gets four of them.
        var p = new AllocationProblem([1, 1, 1], [10, 10, 10], [0, 0, 0], [4, 4, 4], [8, 8, 8], 10 * 17, null);
        Assert.Equal([8, 5, 4], IntegerAllocation.Solve(p).Bits);
        Assert.Equal([8, 5, 4], IntegerAllocation.SolveByBranchAndBound(p).Bits);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ContinuousOptimumMatchesVertexEnumeration(bool withOps)
    {
        var rng = new Random(withOps ? 23 : 19);
        for (int instance = 0; instance < 60; instance++)
        {
            var p = RandomProblem(rng, rng.Next(1, 7), withOps, rng.NextDouble());
            double expected = BestVertex(p);
            var result = ContinuousAllocation.Solve(p);
            Assert.Equal(expected, result.Objective, 9);
            double size = 0, ops = 0;
            for (int i = 0; i < p.Count; i++)
            {
                Assert.InRange(result.Bits[i], p.MinBits[i] - 1e-9, p.MaxBits[i] + 1e-9);
                size += p.SizePerBit[i] * result.Bits[i];
                ops += p.OpsPerBit[i] * result.Bits[i];
            }
            Assert.True(size <= p.SizeCapacity * (1 + 1e-12));
            if (p.OpsCapacity is { } cap) Assert.True(ops <= cap * (1 + 1e-12));
            Assert.True(result.Objective >= IntegerAllocation.Solve(p).Objective - 1e-12, "the LP must bound the integer optimum");
        }
    }

    /// <summary>
    /// An LP with box bounds and at most two constraints has an optimal vertex with at most two variables strictly
    /// inside their bounds; enumerate every such vertex (others at a bound, the free ones solved from the tight rows).
    /// </summary>
    private static double BestVertex(AllocationProblem p)
    {
        int l = p.Count;
        double best = double.NegativeInfinity;
        var rows = new List<(double[] A, double Cap)> { (p.SizePerBit.Select(v => (double)v).ToArray(), p.SizeCapacity) };
        if (p.OpsCapacity is { } oc) rows.Add((p.OpsPerBit.Select(v => (double)v).ToArray(), oc));

        for (int mask = 0; mask < 1 << l; mask++)
        {
            var x = new double[l];
            for (int i = 0; i < l; i++) x[i] = (mask >> i & 1) == 1 ? p.MaxBits[i] : p.MinBits[i];
            Consider(x);
            // one free variable on one tight row
            for (int f = 0; f < l; f++)
            foreach (var (a, cap) in rows)
            {
                var y = (double[])x.Clone();
                double rest = cap;
                for (int i = 0; i < l; i++) if (i != f) rest -= a[i] * y[i];
                if (a[f] == 0) continue;
                y[f] = rest / a[f];
                Consider(y);
            }
            // two free variables on two tight rows
            if (rows.Count == 2)
                for (int f = 0; f < l; f++)
                for (int g = f + 1; g < l; g++)
                {
                    var y = (double[])x.Clone();
                    double r0 = rows[0].Cap, r1 = rows[1].Cap;
                    for (int i = 0; i < l; i++)
                        if (i != f && i != g) { r0 -= rows[0].A[i] * y[i]; r1 -= rows[1].A[i] * y[i]; }
                    double det = rows[0].A[f] * rows[1].A[g] - rows[0].A[g] * rows[1].A[f];
                    if (Math.Abs(det) < 1e-9) continue;
                    y[f] = (r0 * rows[1].A[g] - rows[0].A[g] * r1) / det;
                    y[g] = (rows[0].A[f] * r1 - r0 * rows[1].A[f]) / det;
                    Consider(y);
                }
        }
        return best;

        void Consider(double[] x)
        {
            for (int i = 0; i < l; i++)
                if (x[i] < p.MinBits[i] - 1e-9 || x[i] > p.MaxBits[i] + 1e-9) return;
            foreach (var (a, cap) in rows)
            {
                double used = 0;
                for (int i = 0; i < l; i++) used += a[i] * x[i];
                if (used > cap * (1 + 1e-12) + 1e-9) return;
            }
            double v = 0;
            for (int i = 0; i < l; i++) v += p.Coefficients[i] * x[i] / 8.0;
            best = Math.Max(best, v);
        }
    }

    [Fact]
    public void IntegerSolverIsFastOnAMobileNetSizedProblem()
    {
        // 53 units, 2..4 bits, all coefficients equal (β = 0): many ties, the hard case for branch and bound.
        var rng = new Random(3);
        int l = 53;
        var p = new AllocationProblem(Enumerable.Repeat(1.0, l).ToArray(),
            Enumerable.Range(0, l).Select(_ => 16L * rng.Next(20, 25_000)).ToArray(), // real layer sizes share factors of 2
            new long[l], Enumerable.Repeat(2, l).ToArray(), Enumerable.Repeat(4, l).ToArray(), 0, null);
        long minSize = p.MinimumSize();
        p = p with { SizeCapacity = minSize + minSize / 3 };
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = IntegerAllocation.Solve(p);
        Assert.True(watch.Elapsed.TotalSeconds < 5, $"took {watch.Elapsed.TotalSeconds:F1} s, {result.Nodes} nodes");
        Assert.Equal(IntegerAllocation.DynamicProgrammingMethod, result.Method);
        Assert.True(Feasible(p, result.Bits));
        Assert.True(result.Objective <= ContinuousAllocation.Solve(p).Objective + 1e-12);
    }

    [Fact]
    public void InfeasibleSizeBudgetNamesTheMinimum()
    {
        var units = new[]
        {
            new QuantUnit("a", ["a"], 1 << 20, 1000, 10),
            new QuantUnit("b", ["b"], 1 << 20, 1000, 10),
        };
        var costs = new CostModel(units, new FixedLayers(["stem"], 1 << 20, 500), 8);
        // minimum: 2 MiB·4/8 + 1 MiB at 8 bits = 2 MiB
        var ex = Assert.Throws<InvalidInputException>(() =>
            AllocationProblem.Build(costs, [1, 1], new BitRange(4, 8), 1.5, null));
        Assert.Contains("size budget 1.5 MiB is infeasible", ex.Message);
        Assert.Contains("minimum achievable size is 2 MiB", ex.Message);

        var ops = Assert.Throws<InvalidInputException>(() =>
            AllocationProblem.Build(costs, [1, 1], new BitRange(4, 8), 10, 1e-9));
        // minimum: 2·1000·4·8 + 500·64 = 96000 bit-ops
        Assert.Contains("minimum achievable BitOps is 0.000096 G", ops.Message);
    }

    [Theory]
    [InlineData("1..8")]
    [InlineData("5..4")]
    [InlineData("2..9")]
    [InlineData("x")]
    [InlineData("4-8")]
    public void BadBitRangesAreRejected(string text)
    {
        var ex = Assert.Throws<InvalidInputException>(() => BitRange.Parse(text));
        Assert.Contains("expected MIN..MAX", ex.Message);
    }

    [Fact]
    public void DefaultBetaAcceptsTheZooModelNames()
    {
        using var mobilenet = ModelZoo.Create("mobilenet_v2", inputSize: 32);
        Assert.Equal(0.0, SearchOptions.DefaultBeta(mobilenet.Name, SearchMode.Ptq));
        Assert.Equal(0.0, SearchOptions.DefaultBeta("mobilenetv2", SearchMode.Qat));
        Assert.Equal(0.0, SearchOptions.DefaultBeta("MobileNet-V2", SearchMode.Qat));
        Assert.Equal(3.3, SearchOptions.DefaultBeta("ResNet50", SearchMode.Qat));
        Assert.Equal(100.0, SearchOptions.DefaultBeta("resnet18", SearchMode.Ptq));
        Assert.Equal(10.0, SearchOptions.DefaultBeta("resnet20", SearchMode.Qat));
    }

    [Fact]
    public void SuffixMeanAndThetaCoefficients()
    {
        var orm = new double[,] { { 1, 0.5, 0.2 }, { 0.5, 1, 0.1 }, { 0.2, 0.1, 1 } };
        var imp = LayerImportance.FromOrm(orm, 2.0, CoefficientRule.SuffixMean);
        Assert.Equal([0.7, 0.6, 0.3], imp.Gamma.Select(g => Math.Round(g, 12)));
        // Normalised to the largest: θ_i / max θ = exp(−β·(γ_i − min γ)), and the dropped factor is exp(−β·min γ).
        double[] theta = [Math.Exp(-0.8), Math.Exp(-0.6), 1.0];
        for (int i = 0; i < 3; i++) Assert.Equal(theta[i], imp.Theta[i], 14);
        Assert.Equal(-0.6, imp.LogScale, 14);
        Assert.Equal((theta[0] + theta[1] + theta[2]) / 3, imp.Coefficients[0], 14);
        Assert.Equal((theta[1] + theta[2]) / 2, imp.Coefficients[1], 14);
        Assert.Equal(theta[2], imp.Coefficients[2], 14);
        var plain = LayerImportance.FromOrm(orm, 2.0, CoefficientRule.Theta);
        Assert.Equal(imp.Theta, plain.Coefficients);
    }
}
