using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ompq.Tests.Cli;

/// <summary>`ompq search` end to end on resnet20 with synthetic data (fast), checking the report's content.</summary>
public sealed class SearchCommandTests
{
    private static readonly string[] Resnet20 = ["search", "--model", "resnet20", "--data", "synthetic", "--images", "16", "--seed", "3"];

    [Fact]
    public void JsonReportIsCompleteAndConsistent()
    {
        var r = CliRunner.Run([.. Resnet20, "--size-mb", "0.15", "--json", "--bitops-g", "2.0"]);
        Assert.True(r.ExitCode == 0, r.Error);
        var json = JsonNode.Parse(r.Out)!.AsObject();
        foreach (string field in new[] { "model", "mode", "device", "seed", "images", "beta", "solver", "units", "orm", "size_mib", "budget_mib",
                     "bitops_g", "objective_continuous", "objective_integer", "timings_s" })
            Assert.True(json.ContainsKey(field), $"missing field {field}");
        Assert.Equal("resnet20", (string)json["model"]!);
        Assert.Equal("qat", (string)json["mode"]!);
        Assert.Equal("cpu", (string)json["device"]!);
        Assert.Equal(16, (int)json["images"]!);
        Assert.Equal(3, (int)json["seed"]!);
        Assert.Equal(10.0, (double)json["beta"]!);

        var units = json["units"]!.AsArray();
        var orm = json["orm"]!.AsArray();
        Assert.Equal(18, units.Count); // resnet20 QAT: 9 basic blocks × (conv1, block output)
        Assert.Equal(units.Count, orm.Count);
        for (int i = 0; i < orm.Count; i++)
        {
            Assert.Equal(units.Count, orm[i]!.AsArray().Count);
            Assert.Equal(1.0, (double)orm[i]![i]!);
            for (int j = 0; j < orm.Count; j++)
            {
                Assert.Equal((double)orm[i]![j]!, (double)orm[j]![i]!);
                Assert.InRange((double)orm[i]![j]!, 0.0, 1.0);
            }
        }

        double sizeBits = 0;
        foreach (var u in units)
        {
            int bits = (int)u!["bits"]!;
            Assert.InRange(bits, 4, 8);
            Assert.False(string.IsNullOrEmpty((string)u["name"]!));
            Assert.True((long)u["params"]! > 0);
            Assert.InRange((double)u["theta"]!, 0.0, 1.0);
            sizeBits += (long)u["params"]! * bits;
        }
        sizeBits += (long)json["fixed"]!["params"]! * 8;
        double size = (double)json["size_mib"]!;
        Assert.Equal(sizeBits / 8 / (1 << 20), size, 12);
        Assert.True(size <= (double)json["budget_mib"]!);
        Assert.True((double)json["bitops_g"]! <= 2.0);
        Assert.True((double)json["size_slack_mib"]! >= 0);
        Assert.True((double)json["bitops_slack_g"]! >= 0);
        Assert.True((double)json["objective_integer"]! <= (double)json["objective_continuous"]! + 1e-12);
        Assert.Contains("branch and bound", (string)json["solver"]!["integer"]!); // two budgets
        Assert.Contains("simplex", (string)json["solver"]!["continuous"]!);
        var t = json["timings_s"]!;
        Assert.Equal((double)t["features"]! + (double)t["orm"]! + (double)t["solve"]!, (double)t["total"]!, 9);
    }

    [Fact]
    public void SameInputsGiveByteIdenticalReportsApartFromTimings()
    {
        string dir = CliRunner.TempDir();
        string a = Path.Combine(dir, "a.json"), b = Path.Combine(dir, "b.json");
        Assert.Equal(0, CliRunner.Run([.. Resnet20, "--size-mb", "0.15", "--out", a]).ExitCode);
        Assert.Equal(0, CliRunner.Run([.. Resnet20, "--size-mb", "0.15", "--out", b, "--threads", "1"]).ExitCode);
        static string WithoutTimings(string path)
        {
            var node = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            Assert.True(node.Remove("timings_s"));
            return node.ToJsonString();
        }
        Assert.Equal(WithoutTimings(a), WithoutTimings(b));
        // And the raw bytes agree up to the timings block, which is written last.
        string ra = File.ReadAllText(a), rb = File.ReadAllText(b);
        Assert.Equal(ra[..ra.IndexOf("\"timings_s\"", StringComparison.Ordinal)], rb[..rb.IndexOf("\"timings_s\"", StringComparison.Ordinal)]);
    }

    [Fact]
    public void HumanOutputIsATableOfUnitsWithBits()
    {
        var r = CliRunner.Run([.. Resnet20, "--mode", "ptq", "--size-mb", "0.08"]);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("unit", r.Out);
        Assert.Contains("layer3.2", r.Out);
        Assert.Contains("(pinned)", r.Out); // PTQ keeps stem and classifier units at 8 bits
        Assert.Equal("", r.Error); // no progress display when stderr is not interactive
    }

    [Fact]
    public void PlotsAreReadablePngAndSvgFiles()
    {
        string dir = Path.Combine(CliRunner.TempDir(), "plots");
        var r = CliRunner.Run([.. Resnet20, "--size-mb", "0.15", "--plots", dir]);
        Assert.True(r.ExitCode == 0, r.Error);
        foreach (string name in new[] { "orm", "bits" })
        {
            var png = PngChecks.Decode(File.ReadAllBytes(Path.Combine(dir, name + ".png")));
            Assert.True(png.Width > 300 && png.Height > 300);
            Assert.True(png.DistinctColours > 4, $"{name}.png looks blank");
            var texts = PngChecks.SvgTexts(File.ReadAllBytes(Path.Combine(dir, name + ".svg")));
            if (!PngChecks.FontsInstalled) continue; // without a font the pictures carry no text (and the CLI warns)
            // Both axes are named by unit, and the first unit's name is on them.
            Assert.Contains("unit", string.Join("|", texts));
            Assert.Contains(texts, t => t.Contains("layer1.0.conv1"));
        }
        var bitsTexts = string.Join("|", PngChecks.SvgTexts(File.ReadAllBytes(Path.Combine(dir, "bits.svg"))));
        if (PngChecks.FontsInstalled)
        {
            Assert.Contains("budget 0.15 MiB", bitsTexts);       // the budget in the title
            Assert.Contains("weight bits", bitsTexts);           // the y axis
            Assert.Matches(@"layer1\.0\.conv1 \(\d", bitsTexts);   // units carry their parameter counts
            Assert.Contains("ORM entry", string.Join("|", PngChecks.SvgTexts(File.ReadAllBytes(Path.Combine(dir, "orm.svg"))))); // colour bar label
        }
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
    }

    [SkippableFact]
    public void FashionMnistBatchRunsWhenTheDatasetIsInstalled()
    {
        Skip.IfNot(File.Exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"), "dataset-fashion-mnist is not installed");
        var r = CliRunner.Run("search", "--model", "resnet20", "--data", "fashion-mnist", "--images", "16", "--size-mb", "0.15", "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("Fashion-MNIST", (string)JsonNode.Parse(r.Out)!["data"]!);
    }

    [Fact]
    public void DevicesListsTheCpuBackend()
    {
        var r = CliRunner.Run("devices", "--json");
        Assert.Equal(0, r.ExitCode);
        var list = JsonNode.Parse(r.Out)!.AsArray();
        var cpu = list.Single(d => (string)d!["id"]! == "cpu")!;
        Assert.True((bool)cpu["available"]!);
        var table = CliRunner.Run("devices");
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("cpu", table.Out);
        Assert.Contains("cuda", table.Out);
    }
}
