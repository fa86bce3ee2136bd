namespace Ompq.Tests.Cli;

/// <summary>The README's main command writes its report into the --plots folder, which need not exist beforehand.</summary>
public sealed class OutputFolderTests
{
    [Fact]
    public void ReportInsideANewPlotsFolderIsWrittenWithThePlots()
    {
        string plots = Path.Combine(CliRunner.TempDir(), "out");
        string report = Path.Combine(plots, "search.json");
        var r = CliRunner.Run("search", "--model", "resnet20", "--data", "synthetic", "--images", "8", "--size-mb", "0.15",
            "--plots", plots, "--out", report);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.True(new FileInfo(report).Length > 0);
        Assert.True(File.Exists(Path.Combine(plots, "orm.png")));
        Assert.True(File.Exists(Path.Combine(plots, "bits.png")));
    }

    [Fact]
    public void ReportInAMissingFolderOtherThanThePlotsFolderIsStillAnError()
    {
        string root = CliRunner.TempDir();
        var r = CliRunner.Run("search", "--model", "resnet20", "--data", "synthetic", "--images", "8", "--size-mb", "0.15",
            "--plots", Path.Combine(root, "plots"), "--out", Path.Combine(root, "missing", "r.json"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("does not exist", r.Error);
        Assert.False(Directory.Exists(Path.Combine(root, "plots")));
    }
}
