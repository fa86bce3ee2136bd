using Ompq.Kernels.Cpu;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Search;
using Ompq.Runtime.Tensors;

namespace Ompq.Tests.Search;

/// <summary>`--bn batch`: features with the batch's own BN statistics, as the reference code captures them.</summary>
public sealed class BatchNormModeTests
{
    private static double[,] Orm(Ompq.Runtime.Nn.Graph.GraphModel model, BatchNormMode bn)
    {
        using var kernels = new CpuKernels(2);
        var rng = new Random(4);
        var pixels = Enumerable.Range(0, 12 * 28 * 28).Select(_ => (float)rng.NextDouble()).ToArray();
        using var batch = Tensor.FromHost(kernels, pixels, 12, 1, 28, 28);
        var units = model.Units(SearchMode.Qat);
        using var orm = new OrthogonalityMatrix(kernels, units.Select(u => u.Name).ToArray(), 12);
        FeatureCapture.Run(model, batch, SearchMode.Qat, orm, batchNorm: bn);
        return orm.Compute();
    }

    private static void ScrambleRunningStatistics(Ompq.Runtime.Nn.Graph.GraphModel model, int seed)
    {
        var rng = new Random(seed);
        foreach (string name in model.Parameters.Names.Where(n => n.EndsWith(".running_mean") || n.EndsWith(".running_var")).ToList())
        {
            int count = (int)model.Parameters[name].Size;
            bool variance = name.EndsWith("var");
            model.Parameters.SetValues(name, Enumerable.Range(0, count)
                .Select(_ => (float)(variance ? 0.2 + 3 * rng.NextDouble() : 2 * rng.NextDouble() - 1)).ToArray());
        }
    }

    [Fact]
    public void BatchStatisticsIgnoreTheRunningStatisticsAndLeaveThemUnchanged()
    {
        using var model = ModelZoo.Create("resnet20", seed: 2);
        ScrambleRunningStatistics(model, 1);
        string probe = model.Parameters.Names.First(n => n.EndsWith(".running_mean"));
        float[] before = model.Parameters[probe].Data.ToArray();

        double[,] batchA = Orm(model, BatchNormMode.Batch);
        double[,] evalA = Orm(model, BatchNormMode.Eval);
        Assert.Equal(before, model.Parameters[probe].Data.ToArray()); // the capture's running-statistics update is thrown away

        ScrambleRunningStatistics(model, 2);
        double[,] batchB = Orm(model, BatchNormMode.Batch);
        double[,] evalB = Orm(model, BatchNormMode.Eval);

        double batchChange = 0, evalChange = 0;
        for (int i = 0; i < batchA.GetLength(0); i++)
        for (int j = 0; j < batchA.GetLength(1); j++)
        {
            batchChange = Math.Max(batchChange, Math.Abs(batchA[i, j] - batchB[i, j]));
            evalChange = Math.Max(evalChange, Math.Abs(evalA[i, j] - evalB[i, j]));
        }
        Assert.True(batchChange < 1e-5, $"batch statistics must not depend on the running statistics (changed by {batchChange})");
        Assert.True(evalChange > 1e-3, $"eval mode should see the running statistics (changed by {evalChange})");
    }
}
