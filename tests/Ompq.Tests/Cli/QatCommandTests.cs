using System.Text.Json;
using Ompq.Runtime.Training;

namespace Ompq.Tests.Cli;

/// <summary>`ompq qat` from the committed float baseline on a few hundred Fashion-MNIST images, then `ompq eval` at the recorded bits.</summary>
public sealed class QatCommandTests
{
    [SkippableFact]
    public void FineTunesTheBaselineAndEvalUsesTheRecordedBits()
    {
        TrainCommandTests.SkipUnlessFashionMnist();
        string baseline = Path.Combine(Ompq.Tests.Cli.CliRunner.RepositoryRoot(), "models", "resnet20-fashion-mnist.safetensors");
        string path = Path.Combine(CliRunner.TempDir(), "qat.safetensors");
        var qat = CliRunner.Run(["qat", "--weights", baseline, "--uniform-bits", "4", "--limit", "256", "--epochs", "1", "--batch", "64",
            "--test-limit", "300", "--out", path, "--json"]);
        Assert.True(qat.ExitCode == 0, qat.Error);
        var summary = JsonDocument.Parse(qat.Out).RootElement;
        Assert.Equal(4, summary.GetProperty("steps").GetInt64());
        double qatTop1 = summary.GetProperty("top1").GetDouble();
        Assert.True(qatTop1 > 0.5, $"a 4-bit fine-tune of a 92 % baseline should stay far above chance, got {qatTop1}");

        var checkpoint = TrainingCheckpoint.Load(path);
        var layers = checkpoint.WeightBits;
        Assert.Equal(8, layers["conv1"]);
        Assert.Equal(8, layers["fc"]);
        Assert.All(layers.Where(l => l.Key is not ("conv1" or "fc")), l => Assert.Equal(4, l.Value));
        string fourBitLayer = layers.First(l => l.Value == 4).Key;

        var eval = CliRunner.Run(["eval", "--weights", path, "--limit", "300", "--json"]);
        Assert.True(eval.ExitCode == 0, eval.Error);
        var result = JsonDocument.Parse(eval.Out).RootElement;
        Assert.Equal(qatTop1, result.GetProperty("top1").GetDouble());
        Assert.Equal(4, result.GetProperty("weight_bits").GetProperty(fourBitLayer).GetInt32());
    }
}
