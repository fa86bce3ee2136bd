using System.Diagnostics;

namespace Ompq.Tests.Cli;

/// <summary>`ompq search` estimates its peak memory first: a search that fits runs, one that does not is refused at once.</summary>
public sealed class SearchMemoryCommandTests
{
    [Fact]
    public void ASearchThatFitsRunsAndReportsItsEstimate()
    {
        var r = CliRunner.Run("search", "--model", "resnet20", "--data", "synthetic", "--images", "8", "--size-mb", "0.15", "--memory-limit-gb", "4");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Matches(@"memory: estimated \d+\.\d\d GiB", r.Out);
    }

    [Fact]
    public void ASearchThatDoesNotFitIsRefusedBeforeAnyWorkNamingTheLargestCountThatFits()
    {
        string dir = CliRunner.TempDir();
        string report = Path.Combine(dir, "search.json");
        var clock = Stopwatch.StartNew();
        var r = CliRunner.Run("search", "--model", "resnet18", "--data", "synthetic", "--images", "300", "--size-mb", "6.7",
            "--memory-limit-gb", "0.3", "--out", report, "--plots", Path.Combine(dir, "plots"));
        Assert.True(clock.Elapsed.TotalSeconds < 10, $"took {clock.Elapsed.TotalSeconds:F1} s: the refusal should come before the forward pass");
        Assert.Equal(2, r.ExitCode);
        Assert.Matches(@"^error: --images 300 needs an estimated \d+\.\d\d GiB \(.*\), more than the limit of 0\.30 GiB \(--memory-limit-gb\); expected --images \d+ or fewer\s*$", r.Error);
        Assert.False(File.Exists(report));
        Assert.False(Directory.Exists(Path.Combine(dir, "plots")));
    }

    [Fact]
    public void ASearchTooBigForTheWholeBatchRunsInChunksWithTheSameWidths()
    {
        string[] search = ["search", "--model", "resnet20", "--data", "synthetic", "--images", "48", "--size-mb", "0.15"];
        // A limit just under the one-forward estimate: the whole batch does not fit, pairs of chunks do.
        using (var model = Ompq.Runtime.Nn.ModelZoo.Create("resnet20"))
        {
            var options = new Ompq.Runtime.Search.SearchOptions(Ompq.Runtime.Nn.SearchMode.Qat, 0.15, 10, Ompq.Runtime.Search.BitRange.Default(Ompq.Runtime.Nn.SearchMode.Qat));
            long whole = Ompq.Runtime.Search.SearchMemory.Estimate(model, options, 48, 48).Bytes;
            search = [.. search, "--memory-limit-gb", ((whole - 4096) / (double)(1L << 30)).ToString("F9", System.Globalization.CultureInfo.InvariantCulture)];
        }
        var chunked = CliRunner.Run(search);
        Assert.True(chunked.ExitCode == 0, chunked.Error);
        Assert.Contains("pairs of chunks", chunked.Out);

        static int[] Bits(CliRunner.Result r) =>
            System.Text.Json.Nodes.JsonNode.Parse(r.Out)!["units"]!.AsArray().Select(u => (int)u!["bits"]!).ToArray();
        var oneForward = CliRunner.Run("search", "--model", "resnet20", "--data", "synthetic", "--images", "48", "--size-mb", "0.15", "--json");
        Assert.True(oneForward.ExitCode == 0, oneForward.Error);
        Assert.Equal(Bits(oneForward), Bits(CliRunner.Run([.. search, "--json"])));
    }
}
