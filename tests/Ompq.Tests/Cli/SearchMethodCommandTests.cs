using System.Text.Json.Nodes;

namespace Ompq.Tests.Cli;

/// <summary>`ompq search --method`: the baselines end to end, their reports, and the inputs they refuse.</summary>
public sealed class SearchMethodCommandTests
{
    private const string FashionMnist = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
    private static readonly string[] Resnet20 = ["search", "--model", "resnet20", "--data", "synthetic", "--images", "8", "--seed", "3"];

    private static void AssertBadInput(CliRunner.Result r, string expected)
    {
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Out);
        string[] lines = r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
    }

    [Fact]
    public void HawqRefusesUnlabelledData()
        => AssertBadInput(CliRunner.Run([.. Resnet20, "--size-mb", "0.2", "--method", "hawq"]), "--method hawq needs labelled images");

    [Fact]
    public void UnknownMethodAndBadHessianSettingsAreRefused()
    {
        AssertBadInput(CliRunner.Run([.. Resnet20, "--size-mb", "0.2", "--method", "greedy"]), "--method 'greedy' is unknown: expected ompq, hawq, uniform or random");
        AssertBadInput(CliRunner.Run([.. Resnet20, "--size-mb", "0.2", "--method", "hawq", "--hessian-probes", "1"]), "Hessian probes 1 is invalid");
        AssertBadInput(CliRunner.Run([.. Resnet20, "--size-mb", "0.2", "--method", "hawq", "--hessian-estimator", "exact"]), "--hessian-estimator 'exact' is unknown");
        AssertBadInput(CliRunner.Run([.. Resnet20, "--size-mb", "0.2", "--method", "random", "--random-draws", "0"]), "random draws 0 is invalid");
    }

    [Fact]
    public void InfeasibleUniformBudgetIsRefused()
        => AssertBadInput(CliRunner.Run([.. Resnet20, "--method", "uniform", "--size-mb", "0.1"]), "size budget 0.1 MiB is infeasible");

    [Theory]
    [InlineData("uniform")]
    [InlineData("random")]
    [InlineData("ompq")]
    public void ReportNamesTheMethodAndItsTime(string method)
    {
        var r = CliRunner.Run([.. Resnet20, "--size-mb", "0.2", "--method", method, "--json"]);
        Assert.True(r.ExitCode == 0, r.Error);
        var json = JsonNode.Parse(r.Out)!.AsObject();
        Assert.Equal(method, (string)json["method"]!);
        var t = json["timings_s"]!;
        Assert.True((double)t["total"]! >= 0);
        Assert.Equal((double)t["features"]! + (double)t["orm"]! + (double)t["solve"]!, (double)t["total"]!, 9);
        Assert.True((double)json["size_mib"]! <= 0.2);
        var bits = json["units"]!.AsArray().Select(u => (int)u!["bits"]!).ToArray();
        Assert.Equal(18, bits.Length);
        if (method == "uniform")
        {
            Assert.Equal(6, (int)json["uniform"]!["bits"]!); // resnet20 QAT fits 6 bits everywhere in 0.2 MiB, not 7
            Assert.All(bits, b => Assert.Equal(6, b));
        }
        if (method == "random")
        {
            Assert.Equal(100, (int)json["random"]!["draws"]!);
            // Seeded: the same seed gives the same widths.
            var again = JsonNode.Parse(CliRunner.Run([.. Resnet20, "--size-mb", "0.2", "--method", method, "--json"]).Out)!;
            Assert.Equal(bits, again["units"]!.AsArray().Select(u => (int)u!["bits"]!).ToArray());
        }
        if (method != "ompq")
        {
            Assert.Empty(json["orm"]!.AsArray());
            Assert.Equal("none", (string)json["units"]![0]!["orm_form"]!);
        }
    }

    [Fact]
    public void BaselineTableAndPlots()
    {
        string dir = Path.Combine(CliRunner.TempDir(), "plots");
        var r = CliRunner.Run([.. Resnet20, "--size-mb", "0.2", "--method", "random", "--plots", dir]);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("random: draw", r.Out);
        Assert.Contains("layer3.2", r.Out);
        Assert.True(File.Exists(Path.Combine(dir, "bits.png")));
        Assert.False(File.Exists(Path.Combine(dir, "orm.png"))); // a baseline has no orthogonality matrix
    }

    [Fact]
    public void SearchReadsATrainingCheckpoint()
    {
        string checkpoint = Path.Combine(CliRunner.RepositoryRoot(), "models", "resnet20-fashion-mnist.safetensors");
        var r = CliRunner.Run([.. Resnet20, "--size-mb", "0.2", "--method", "uniform", "--weights", checkpoint, "--json"]);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Equal("resnet20-fashion-mnist.safetensors", (string)JsonNode.Parse(r.Out)!["weights"]!);
        AssertBadInput(CliRunner.Run("search", "--model", "resnet18", "--weights", checkpoint, "--data", "synthetic", "--size-mb", "5"),
            "tensor 'conv1.weight' has shape [16, 1, 3, 3], expected [64, 3, 7, 7]");
    }

    [SkippableFact]
    public void HawqOnFashionMnistWritesTracesWithErrorsAndTimings()
    {
        Skip.IfNot(File.Exists(FashionMnist), "dataset-fashion-mnist is not installed: sudo apt-get install dataset-fashion-mnist");
        string out_ = Path.Combine(CliRunner.TempDir(), "hawq.json");
        var r = CliRunner.Run("search", "--model", "resnet20", "--data", "fashion-mnist", "--images", "8", "--size-mb", "0.2",
            "--method", "hawq", "--hessian-probes", "2", "--out", out_);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("trace/n", r.Out);
        var json = JsonNode.Parse(File.ReadAllText(out_))!.AsObject();
        Assert.Equal("hawq", (string)json["method"]!);
        Assert.Contains("labelled images of fashion-mnist train", (string)json["data"]!);
        var hessian = json["hessian"]!;
        Assert.Equal(2, (int)hessian["probes"]!);
        Assert.Equal("output-difference", (string)hessian["estimator"]!);
        var units = hessian["units"]!.AsArray();
        Assert.Equal(18, units.Count);
        foreach (var u in units)
        {
            Assert.True((double)u!["trace"]! >= 0);
            Assert.True((double)u["trace_std_error"]! >= 0);
            Assert.Equal(5, u["cost"]!.AsArray().Count); // widths 4..8
        }
        var t = json["timings_s"]!;
        Assert.True((double)t["hessian"]! > 0);
        Assert.Equal((double)t["hessian"]! + (double)t["solve"]!, (double)t["total"]!, 9);
        Assert.True((double)json["size_mib"]! <= 0.2);
    }
}
