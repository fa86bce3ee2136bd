using Ompq.Kernels.Cpu;
using Ompq.Runtime;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Search;
using Ompq.Runtime.Search.Baselines;
using Ompq.Runtime.Tensors;

namespace Ompq.Tests.Search;

/// <summary>The Hessian baseline end to end on a small ResNet: its allocation is the exhaustive optimum of the costs it reports.</summary>
public sealed class HawqSearchTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AllocationIsTheExhaustiveOptimumOfItsCosts(bool withBitOps)
    {
        using var model = HessianTraceTests.TinyResNet(seed: 31);
        var (images, labels) = HessianTraceTests.Batch(model, seed: 32);
        using var kernels = new CpuKernels();
        var (c, h, w) = model.InputShape;
        using var input = Tensor.FromHost(kernels, images, labels.Length, c, h, w);

        var units = model.Units(SearchMode.Qat);
        var costs = new CostModel(units, model.Fixed(SearchMode.Qat), activationBits: 8);
        var range = new BitRange(4, 8);
        int[] narrow = units.Select(_ => range.Min).ToArray(), wide = units.Select(_ => range.Max).ToArray();
        double sizeBudget = (costs.SizeMiB(narrow) + costs.SizeMiB(wide)) / 2;
        double? opsBudget = withBitOps ? costs.BitOpsG(narrow) + 0.4 * (costs.BitOpsG(wide) - costs.BitOpsG(narrow)) : null;
        var options = new SearchOptions(SearchMode.Qat, sizeBudget, Beta: 0, range, opsBudget);

        var result = BaselineSearch.Hawq(model, input, labels, options, new HessianOptions(Probes: 8, Seed: 3));

        Assert.Equal(SearchMethod.Hawq, result.Method);
        Assert.Empty(result.Warnings); // the output-difference estimate is a sum of squares: never negative
        Assert.True(result.Orm.Length == 0, "a baseline has no ORM");
        Assert.True(result.Timings.Hessian > 0);
        var hessian = Assert.IsType<HessianDetails>(result.Hessian);
        Assert.Equal(units.Count, hessian.Units.Count);

        int[]? best = null;
        double bestCost = double.PositiveInfinity;
        foreach (int[] bits in Assignments(units.Count, range))
        {
            if (costs.SizeBits(bits) > CostModel.MiBToBits(sizeBudget)) continue;
            if (opsBudget is { } g && costs.BitOps(bits) > CostModel.GToBitOps(g)) continue;
            double cost = bits.Select((b, i) => hessian.Units[i].Cost[b - hessian.Units[i].MinBits]).Sum();
            if (cost < bestCost) { bestCost = cost; best = bits; }
        }
        Assert.Equal(best, result.Units.Select(u => u.Bits).ToArray());
        Assert.Equal(bestCost, result.ObjectiveInteger, 12);
        Assert.True(result.SizeMiB <= sizeBudget);

        // Each cost is the unit's mean curvature times its quantization error, which shrinks as the width grows.
        foreach (var s in hessian.Units)
        {
            Assert.True(s.Trace > 0);
            for (int t = 0; t < s.Cost.Count; t++) Assert.Equal(s.MeanTrace * s.QuantizationError[t], s.Cost[t], 12);
            for (int t = 1; t < s.QuantizationError.Count; t++) Assert.True(s.QuantizationError[t] < s.QuantizationError[t - 1]);
        }
    }

    [Fact]
    public void InfeasibleBudgetFailsBeforeAnyPass()
    {
        using var model = HessianTraceTests.TinyResNet(seed: 31);
        var (images, labels) = HessianTraceTests.Batch(model, seed: 32);
        using var kernels = new CpuKernels();
        var (c, h, w) = model.InputShape;
        using var input = Tensor.FromHost(kernels, images, labels.Length, c, h, w);
        var options = new SearchOptions(SearchMode.Qat, 1e-6, Beta: 0, new BitRange(4, 8));
        var error = Assert.Throws<InvalidInputException>(() => BaselineSearch.Hawq(model, input, labels, options, new HessianOptions()));
        Assert.Contains("infeasible", error.Message);
        Assert.Throws<InvalidInputException>(() => BaselineSearch.Uniform(model, options, "cpu"));
        Assert.Throws<InvalidInputException>(() => BaselineSearch.Random(model, options, "cpu", seed: 0, draws: 10));
    }

    private static IEnumerable<int[]> Assignments(int count, BitRange range)
    {
        var b = Enumerable.Repeat(range.Min, count).ToArray();
        while (true)
        {
            yield return (int[])b.Clone();
            int k = count - 1;
            while (k >= 0 && b[k] == range.Max) { b[k] = range.Min; k--; }
            if (k < 0) yield break;
            b[k]++;
        }
    }
}
