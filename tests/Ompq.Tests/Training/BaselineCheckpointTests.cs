using System.Text.Json;
using Ompq.Host.Data;
using Ompq.Kernels.Cpu;
using Ompq.Runtime.Training;

namespace Ompq.Tests.Training;

/// <summary>
/// The committed float baseline (models/resnet20-fashion-mnist.safetensors) still loads and still measures exactly
/// the top-1 and loss recorded beside it (models/resnet20-fashion-mnist.json, and README.md), on the full test set.
/// </summary>
public sealed class BaselineCheckpointTests
{
    [SkippableFact]
    public void EvalReproducesTheRecordedAccuracy()
    {
        Cli.TrainCommandTests.SkipUnlessFashionMnist();
        string models = Path.Combine(Ompq.Tests.Cli.CliRunner.RepositoryRoot(), "models");
        string checkpointPath = Path.Combine(models, "resnet20-fashion-mnist.safetensors");
        using var record = JsonDocument.Parse(File.ReadAllText(Path.Combine(models, "resnet20-fashion-mnist.json")));
        var checkpoint = TrainingCheckpoint.Load(checkpointPath);
        Assert.Equal("fashion-mnist", checkpoint.Dataset);
        using var kernels = new CpuKernels();
        using var model = checkpoint.CreateModel(checkpointPath);
        var result = Evaluator.Run(model, kernels, LabelledDataSets.Open("fashion-mnist", DataSplit.Test));
        Assert.Equal(record.RootElement.GetProperty("images").GetInt32(), result.Images);
        Assert.Equal(record.RootElement.GetProperty("top1").GetDouble(), result.Top1);
        // The loss to within float rounding, not bit for bit: the cpu kernel path (avx512, avx2 or portable, each with its
        // own GEMM tile and cache-derived K slicing) sums in its own order, which moves the mean loss by ~1e-8.
        Assert.Equal(record.RootElement.GetProperty("loss").GetDouble(), result.Loss, 1e-6);
        Assert.True(result.Top1 >= 0.92, $"the baseline must reach 92.0 % top-1, measures {result.Top1:P2}");
    }
}
