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

    [SkippableFact]
    public void KilledQatRunResumesToBitIdenticalWeightsAndRanges()
    {
        TrainCommandTests.SkipUnlessFashionMnist();
        string baseline = Path.Combine(CliRunner.RepositoryRoot(), "models", "resnet20-fashion-mnist.safetensors");
        string[] run = ["qat", "--weights", baseline, "--uniform-bits", "4", "--act-bits", "6", "--limit", "192", "--batch", "32", "--epochs", "2",
            "--checkpoint-steps", "2", "--calibration-batches", "2", "--no-test"];
        string dir = CliRunner.TempDir();
        string straight = Path.Combine(dir, "straight.safetensors"), resumed = Path.Combine(dir, "resumed.safetensors");
        var first = CliRunner.Run([.. run, "--out", straight, "--json"]);
        Assert.True(first.ExitCode == 0, first.Error);

        long killedAt = TrainCommandTests.RunAndKillAfterStep(run.Append("--out").Append(resumed), resumed, 5);
        Assert.InRange(killedAt, 4, 11);
        var second = CliRunner.Run([.. run, "--out", resumed, "--resume", "--json"]);
        Assert.True(second.ExitCode == 0, second.Error);

        var a = TrainingCheckpoint.Load(straight);
        var b = TrainingCheckpoint.Load(resumed);
        Assert.True(a.BatchNormFolded && b.BatchNormFolded);
        Assert.Equal(a.Parameters.Select(p => p.Key), b.Parameters.Select(p => p.Key));
        for (int i = 0; i < a.Parameters.Count; i++)
            Assert.True(a.Parameters[i].Value.Data.AsSpan().SequenceEqual(b.Parameters[i].Value.Data), $"tensor {a.Parameters[i].Key} differs");
        Assert.Equal(a.ActivationRanges.Keys.Order(), b.ActivationRanges.Keys.Order());
        foreach (var (layer, range) in a.ActivationRanges) Assert.Equal(range, b.ActivationRanges[layer]);
        Assert.All(a.Quantization.Layers.Values, q => Assert.NotNull(q.Input));
        Assert.Equal(a.Quantization.Layers.Values.Select(q => q.Input), b.Quantization.Layers.Values.Select(q => q.Input));

        var otherBits = CliRunner.Run([.. run.Select(x => x == "4" ? "5" : x), "--out", resumed, "--resume"]);
        Assert.Equal(2, otherBits.ExitCode);
        Assert.Contains("other weight bits", otherBits.Error);
    }

    [SkippableFact]
    public void BitsFromASearchReportReachTheCheckpoint()
    {
        TrainCommandTests.SkipUnlessFashionMnist();
        string baseline = Path.Combine(CliRunner.RepositoryRoot(), "models", "resnet20-fashion-mnist.safetensors");
        string dir = CliRunner.TempDir();
        string report = Path.Combine(dir, "search.json"), path = Path.Combine(dir, "qat.safetensors");
        var search = CliRunner.Run(["search", "--model", "resnet20", "--weights", baseline, "--data", "fashion-mnist", "--images", "16",
            "--mode", "qat", "--bits", "2..6", "--size-mb", "0.12", "--out", report]);
        Assert.True(search.ExitCode == 0, search.Error);
        var qat = CliRunner.Run(["qat", "--weights", baseline, "--bits-from", report, "--limit", "64", "--batch", "32", "--no-test", "--out", path]);
        Assert.True(qat.ExitCode == 0, qat.Error);

        var bits = TrainingCheckpoint.Load(path).WeightBits;
        using var doc = JsonDocument.Parse(File.ReadAllText(report));
        int units = 0;
        foreach (var unit in doc.RootElement.GetProperty("units").EnumerateArray())
            foreach (var layer in unit.GetProperty("layers").EnumerateArray())
            {
                Assert.Equal(unit.GetProperty("bits").GetInt32(), bits[layer.GetString()!]);
                units++;
            }
        Assert.Equal(units + 2, bits.Count); // the stem conv and the classifier are outside the units, at 8 bits
        Assert.Equal(8, bits["conv1"]);
        Assert.Equal(8, bits["fc"]);
        Assert.Contains(bits.Values, b => b < 6);

        var both = CliRunner.Run(["qat", "--weights", baseline, "--bits-from", report, "--uniform-bits", "4", "--out", Path.Combine(dir, "x.safetensors")]);
        Assert.Equal(2, both.ExitCode);
        Assert.False(File.Exists(Path.Combine(dir, "x.safetensors")));
    }
}
