using System.Diagnostics;
using System.Text.Json;
using Ompq.Runtime.Io.Safetensors;
using Ompq.Runtime.Training;

namespace Ompq.Tests.Cli;

/// <summary>`ompq train` / `ompq eval` end to end on Fashion-MNIST (a few hundred images), including a killed and resumed run.</summary>
public sealed class TrainCommandTests
{
    private static readonly string[] QuickRun =
        ["train", "--model", "resnet20", "--data", "fashion-mnist", "--epochs", "2", "--limit", "192", "--batch", "32", "--lr", "0.05",
         "--checkpoint-steps", "2", "--crop-padding", "2", "--flip", "--no-test"];

    [SkippableFact]
    public void KilledRunResumesToBitIdenticalWeights()
    {
        SkipUnlessFashionMnist();
        string dir = CliRunner.TempDir();
        string straight = Path.Combine(dir, "straight.safetensors"), resumed = Path.Combine(dir, "resumed.safetensors");
        var first = CliRunner.Run([.. QuickRun, "--out", straight, "--json"]);
        Assert.True(first.ExitCode == 0, first.Error);

        long killedAt = RunAndKillAfterStep(QuickRun.Append("--out").Append(resumed), resumed, 5);
        Assert.InRange(killedAt, 4, 11);

        var second = CliRunner.Run([.. QuickRun, "--out", resumed, "--resume", "--json"]);
        Assert.True(second.ExitCode == 0, second.Error);
        Assert.Equal(12, JsonDocument.Parse(second.Out).RootElement.GetProperty("steps").GetInt64());
        var a = SafetensorsReader.Read(straight);
        var b = SafetensorsReader.Read(resumed);
        Assert.Equal(a.Select(e => e.Name), b.Select(e => e.Name));
        for (int i = 0; i < a.Count; i++) Assert.True(a[i].Tensor.Data.AsSpan().SequenceEqual(b[i].Tensor.Data), $"tensor {a[i].Name} differs");
    }

    [SkippableFact]
    public void EvalReportsTheCheckpointsAccuracy()
    {
        SkipUnlessFashionMnist();
        string dir = CliRunner.TempDir();
        string path = Path.Combine(dir, "model.safetensors");
        var train = CliRunner.Run(["train", "--model", "resnet20", "--data", "fashion-mnist", "--epochs", "1", "--limit", "1024", "--batch", "32",
            "--test-limit", "300", "--out", path, "--json"]);
        Assert.True(train.ExitCode == 0, train.Error);
        double trainedTop1 = JsonDocument.Parse(train.Out).RootElement.GetProperty("top1").GetDouble();

        var eval = CliRunner.Run(["eval", "--weights", path, "--data", "fashion-mnist", "--limit", "300", "--json"]);
        Assert.True(eval.ExitCode == 0, eval.Error);
        var json = JsonDocument.Parse(eval.Out).RootElement;
        Assert.Equal(300, json.GetProperty("images").GetInt32());
        Assert.Equal(trainedTop1, json.GetProperty("top1").GetDouble());
        Assert.True(json.GetProperty("top1").GetDouble() > 0.2, $"32 steps should beat chance (10 %) by far, got {json.GetProperty("top1")}");
        Assert.True(double.IsFinite(json.GetProperty("loss").GetDouble()));
        var quantized = CliRunner.Run(["eval", "--weights", path, "--limit", "300", "--uniform-bits", "4", "--json"]);
        Assert.True(quantized.ExitCode == 0, quantized.Error);
        Assert.NotEqual(trainedTop1, JsonDocument.Parse(quantized.Out).RootElement.GetProperty("loss").GetDouble());
    }

    [Fact]
    public void ResumeWithoutACheckpointIsRefused()
    {
        string path = Path.Combine(CliRunner.TempDir(), "none.safetensors");
        var r = CliRunner.Run(["train", "--data", "fashion-mnist", "--epochs", "1", "--out", path, "--resume"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--resume: no checkpoint", r.Error);
        Assert.Single(r.Error.Trim().Split('\n'));
    }

    [Fact]
    public void UnwritableCheckpointPathIsRefusedBeforeTraining()
    {
        string path = Path.Combine(CliRunner.TempDir(), "missing-folder", "x.safetensors");
        var r = CliRunner.Run(["train", "--data", "fashion-mnist", "--epochs", "1", "--out", path]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("does not exist", r.Error);
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData("garbage", "not a safetensors file")]
    [InlineData("foreign", "not an ompq-checkpoint file")]
    [InlineData("newer", "format version '9' is not supported")]
    [InlineData("mismatched", "has shape")]
    public void BadCheckpointsGiveOneLine(string kind, string expected)
    {
        string dir = CliRunner.TempDir();
        string path = Path.Combine(dir, kind + ".safetensors");
        var meta = new Dictionary<string, string>
        {
            ["format"] = TrainingCheckpoint.FormatName, ["format_version"] = "1", ["dataset"] = "fashion-mnist",
            ["model"] = """{"name":"resnet20","input_size":28,"channels":1,"classes":10}""", ["options"] = "{}", ["state"] = "{}", ["optimizer_steps"] = "0",
        };
        var tensor = new KeyValuePair<string, Ompq.Runtime.Tensors.HostTensor>("fc.weight", Ompq.Runtime.Tensors.HostTensor.Zeros(3, 3));
        switch (kind)
        {
            case "garbage": File.WriteAllBytes(path, [1, 2, 3]); break;
            case "foreign": SafetensorsWriter.Write(path, [tensor]); break;
            case "newer": meta["format_version"] = "9"; SafetensorsWriter.Write(path, [tensor], meta); break;
            default: SafetensorsWriter.Write(path, [tensor], meta); break;
        }
        var r = CliRunner.Run(["eval", "--weights", path, "--data", "fashion-mnist"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expected, r.Error);
        Assert.Single(r.Error.Trim().Split('\n'));
    }

    [SkippableFact]
    public void DivergingRunStopsNamingTheStepAndWritesNoCheckpoint()
    {
        SkipUnlessFashionMnist();
        string path = Path.Combine(CliRunner.TempDir(), "nan.safetensors");
        var r = CliRunner.Run(["train", "--data", "fashion-mnist", "--epochs", "1", "--limit", "640", "--batch", "32", "--lr", "1e38",
            "--wd", "0", "--no-test", "--out", path]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("training diverged", r.Error);
        Assert.Contains("at step", r.Error);
        Assert.False(File.Exists(path));
    }

    /// <summary>Runs `ompq ARGS` as a separate process and kills it once its checkpoint has reached <paramref name="step"/>; returns the checkpoint's step.</summary>
    internal static long RunAndKillAfterStep(IEnumerable<string> args, string checkpoint, long step)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "ompq")) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using (var process = Process.Start(start)!)
        {
            var deadline = Stopwatch.StartNew();
            while (!process.HasExited && deadline.Elapsed < TimeSpan.FromSeconds(120) && StepOf(checkpoint) < step) Thread.Sleep(20);
            Assert.False(process.HasExited, "the run finished before it could be killed; make it longer");
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        return StepOf(checkpoint);
    }

    internal static long StepOf(string checkpoint)
    {
        try
        {
            return File.Exists(checkpoint) ? TrainingCheckpoint.Load(checkpoint).State.Step : -1;
        }
        catch (Exception e) when (e is IOException or Ompq.Runtime.InvalidInputException)
        {
            return -1;
        }
    }

    internal static void SkipUnlessFashionMnist()
        => Skip.IfNot(File.Exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"),
            "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
}
