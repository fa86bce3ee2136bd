using Ompq.Host.Plots;
using Ompq.Runtime.Training;

namespace Ompq.Tests.Cli;

/// <summary>The reusable plots: accuracy against size (one line per method) and training curves, as PNG and SVG.</summary>
public sealed class PlotTests
{
    private static string Texts(PlotFiles files, string name) =>
        string.Join("|", PngChecks.SvgTexts(files.Files.Single(f => f.Name == name).Bytes));

    private static void AssertReadablePng(PlotFiles files, string name)
    {
        var png = PngChecks.Decode(files.Files.Single(f => f.Name == name).Bytes);
        Assert.True(png.Width >= 400 && png.Height >= 300 && png.DistinctColours > 4, $"{name}: {png}");
    }

    [Fact]
    public void AccuracyAgainstSizeHasOneLinePerMethod()
    {
        var points = new[]
        {
            new AccuracySizePoint("ompq", 0.20, 0.91), new AccuracySizePoint("ompq", 0.15, 0.90),
            new AccuracySizePoint("uniform", 0.20, 0.89), new AccuracySizePoint("uniform", 0.15, 0.85),
            new AccuracySizePoint("hawq", 0.18, 0.895),
        };
        var files = AccuracySizePlot.Render(points, "resnet20 on Fashion-MNIST");
        Assert.Equal(["accuracy-size.png", "accuracy-size.svg"], files.Files.Select(f => f.Name).ToArray());
        AssertReadablePng(files, "accuracy-size.png");
        string texts = Texts(files, "accuracy-size.svg");
        if (!PngChecks.FontsInstalled) return;
        foreach (string expected in new[] { "ompq", "uniform", "hawq", "model size (MiB)", "top-1 accuracy (%)", "resnet20 on Fashion-MNIST" })
            Assert.Contains(expected, texts);
    }

    [Fact]
    public void TrainingCurvesShowTrainAndTestPerEpoch()
    {
        var history = new[]
        {
            new EpochSummary(1, 0.61, 0.77, 0.66, 0.77, 10, 100),
            new EpochSummary(2, 0.36, 0.87, 0.35, 0.87, 10, 100),
            new EpochSummary(3, 0.31, 0.89, null, null, 10, 100), // an epoch without a test pass
        };
        var files = TrainingCurves.Render(history, "resnet20 on fashion-mnist train");
        Assert.Equal(4, files.Files.Count);
        AssertReadablePng(files, "training-loss.png");
        AssertReadablePng(files, "training-top1.png");
        if (!PngChecks.FontsInstalled) return;
        Assert.Contains("epoch", Texts(files, "training-loss.svg"));
        Assert.Contains("cross-entropy loss", Texts(files, "training-loss.svg"));
        Assert.Contains("test", Texts(files, "training-top1.svg"));
    }

    [SkippableFact]
    public void TrainWritesItsCurvesWithPlots()
    {
        Skip.IfNot(File.Exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"), "dataset-fashion-mnist is not installed");
        string dir = CliRunner.TempDir();
        var r = CliRunner.Run("train", "--data", "fashion-mnist", "--epochs", "1", "--limit", "128", "--batch", "64", "--test-limit", "128",
            "--out", Path.Combine(dir, "run.safetensors"), "--plots", Path.Combine(dir, "plots"));
        Assert.True(r.ExitCode == 0, r.Error);
        foreach (string name in new[] { "training-loss.png", "training-loss.svg", "training-top1.png", "training-top1.svg" })
            Assert.True(File.Exists(Path.Combine(dir, "plots", name)), name);
    }
}
