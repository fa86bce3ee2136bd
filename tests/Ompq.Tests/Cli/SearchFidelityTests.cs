using System.Text.Json.Nodes;

namespace Ompq.Tests.Cli;

/// <summary>The reference's PTQ setting on ResNet-18 (issue 7): β = 100 must still give a θ-driven allocation.</summary>
public sealed class SearchFidelityTests
{
    [Fact]
    public void PtqResNet18WithBeta100UsesTheBudgetWithNonZeroCoefficients()
    {
        var r = CliRunner.Run("search", "--model", "resnet18", "--data", "synthetic", "--mode", "ptq", "--size-mb", "4.0", "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        var json = JsonNode.Parse(r.Out)!.AsObject();
        Assert.Equal(100.0, (double)json["beta"]!);
        Assert.True((double)json["theta_log_scale"]! < -745, "exp(−β·min γ) is below the double range in this setting");

        var units = json["units"]!.AsArray();
        Assert.All(units, u => Assert.True((double)u!["coefficient"]! > 0, $"{u!["name"]}: coefficient 0"));
        Assert.Equal(1.0, units.Max(u => (double)u!["theta"]!));
        Assert.True(units.Select(u => (double)u!["theta"]!).Distinct().Count() > units.Count / 2, "θ should depend on each unit's features");

        // The budget is used: no searched unit below its top width could take one more bit.
        double slackBits = (double)json["size_slack_mib"]! * 8 * (1 << 20);
        Assert.True(slackBits >= 0);
        foreach (var u in units)
            if (!(bool)u!["pinned"]! && (int)u["bits"]! < 4)
                Assert.True((long)u["params"]! > slackBits, $"{u["name"]} could be widened within the budget");
        Assert.Contains(units, u => !(bool)u!["pinned"]! && (int)u["bits"]! > 2);
        Assert.Contains(units, u => !(bool)u!["pinned"]! && (int)u["bits"]! < 4);
        Assert.True((double)json["size_continuous_mib"]! > 3.99, "the LP fills the budget");
    }

    [Theory]
    [InlineData(null, "eval", "running statistics (eval)")]
    [InlineData("batch", "batch", "batch statistics")]
    public void ReportStatesTheBatchNormMode(string? bn, string inJson, string inSummary)
    {
        string[] common = ["search", "--model", "resnet20", "--data", "synthetic", "--images", "8", "--size-mb", "0.15"];
        string[] bnArgs = bn is null ? [] : ["--bn", bn];
        var json = CliRunner.Run([.. common, .. bnArgs, "--json"]);
        Assert.True(json.ExitCode == 0, json.Error);
        Assert.Equal(inJson, (string)JsonNode.Parse(json.Out)!["bn"]!);
        var table = CliRunner.Run([.. common, .. bnArgs]);
        Assert.Contains($"BN {inSummary}", table.Out);
    }

    [Fact]
    public void UnknownBatchNormModeIsRejected()
    {
        var r = CliRunner.Run("search", "--model", "resnet20", "--data", "synthetic", "--size-mb", "0.15", "--bn", "train");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("--bn 'train' is unknown: expected eval or batch", r.Error);
    }

    [Fact]
    public void ReferenceAccountingSearchesStemAndClassifierWithinTheBudget()
    {
        var r = CliRunner.Run("search", "--model", "resnet18", "--data", "synthetic", "--mode", "ptq", "--size-mb", "4.0",
            "--accounting", "reference", "--beta", "1", "--images", "8", "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        var json = JsonNode.Parse(r.Out)!.AsObject();
        Assert.Equal("reference", (string)json["accounting"]!);
        var units = json["units"]!.AsArray();
        Assert.All(units, u => Assert.False((bool)u!["pinned"]!));
        Assert.All(units, u => Assert.InRange((int)u!["bits"]!, 2, 4));
        Assert.True((double)json["size_mib"]! <= 4.0);
        Assert.True((double)json["size_mib_pinned_accounting"]! > (double)json["size_mib"]!);
    }

    [Fact]
    public void PreprocessingIsExplicitAndReported()
    {
        string[] common = ["search", "--model", "resnet20", "--data", "synthetic", "--images", "8", "--size-mb", "0.15", "--json"];
        var plain = CliRunner.Run([.. common]);
        Assert.True(plain.ExitCode == 0, plain.Error);
        Assert.Equal("imagenet", (string)JsonNode.Parse(plain.Out)!["preprocess"]!);
        var none = CliRunner.Run([.. common, "--preprocess", "none"]);
        Assert.True(none.ExitCode == 0, none.Error);
        Assert.Contains("no normalisation", (string)JsonNode.Parse(none.Out)!["data"]!);
        var bad = CliRunner.Run([.. common, "--preprocess", "caffe"]);
        Assert.Contains("--preprocess 'caffe' is unknown: expected imagenet, cntk-bgr or none", bad.Error);
    }
}
