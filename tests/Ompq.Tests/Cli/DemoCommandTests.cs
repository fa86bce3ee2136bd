using System.Text.Json;
using Ompq.Runtime.Training;

namespace Ompq.Tests.Cli;

/// <summary>`ompq demo` (the README's main command) end to end on small settings: every step runs and its files are usable.</summary>
public sealed class DemoCommandTests
{
    [SkippableFact]
    public void RunsSearchPtqEvalExportAndReportsTheirResults()
    {
        TrainCommandTests.SkipUnlessFashionMnist();
        string dir = CliRunner.TempDir();
        string baseline = Path.Combine(CliRunner.RepositoryRoot(), "models", "resnet20-fashion-mnist.safetensors");
        var demo = CliRunner.Run(["demo", "--weights", baseline, "--out-dir", dir, "--calibration", "128", "--iterations", "5",
            "--test-limit", "200", "--json"]);
        Assert.True(demo.ExitCode == 0, demo.Error);
        var report = JsonDocument.Parse(demo.Out).RootElement;
        Assert.Equal(200, report.GetProperty("test_images").GetInt32());
        double before = report.GetProperty("top1_before").GetDouble(), after = report.GetProperty("top1_after").GetDouble();
        Assert.InRange(before, 0.85, 1.0);
        Assert.InRange(after, 0.5, 1.0); // 4-bit average weights after a short reconstruction: far above chance
        Assert.True(report.GetProperty("size_mib").GetDouble() <= report.GetProperty("budget_mib").GetDouble());
        Assert.True(report.GetProperty("size_mib").GetDouble() < report.GetProperty("size_mib_fp32").GetDouble() / 4);
        Assert.True(report.GetProperty("units").GetArrayLength() > 10);

        var checkpoint = TrainingCheckpoint.Load(report.GetProperty("checkpoint").GetString()!);
        Assert.True(checkpoint.BatchNormFolded);
        Assert.True(File.Exists(Path.Combine(report.GetProperty("plots").GetString()!, "orm.png")));
        Assert.True(new FileInfo(report.GetProperty("exported").GetString()!).Length > 10_000);

        // A rerun replaces its own files instead of refusing them.
        var again = CliRunner.Run(["demo", "--weights", baseline, "--out-dir", dir, "--calibration", "128", "--iterations", "5", "--test-limit", "200", "--json"]);
        Assert.True(again.ExitCode == 0, again.Error);
    }
}
