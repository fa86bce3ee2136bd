using System.Text.Json.Nodes;
using Ompq.Tests.Io;

namespace Ompq.Tests.Cli;

/// <summary>
/// Issue 3's end-to-end path on real weights: `ompq search --onnx ResNet18.onnx --data &lt;image folder&gt;`, the
/// pretrained CNTK ResNet-18 imported from ONNX and searched on a folder of PNG files.
/// </summary>
public sealed class OnnxSearchTests
{
    [Fact]
    public void SearchRunsOnThePretrainedOnnxResNet18AndAnImageFolder()
    {
        string dir = CliRunner.TempDir();
        var rng = new Random(3);
        for (int i = 0; i < 6; i++)
        {
            using var image = new TestImage(64, 48, ((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)));
            for (int k = 0; k < 30; k++)
                image.FillRect(rng.Next(64), rng.Next(48), rng.Next(2, 16), rng.Next(2, 16), ((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)));
            File.WriteAllBytes(Path.Combine(dir, $"photo{i}.png"), image.EncodePng());
        }
        string json = Path.Combine(dir, "report.json");

        var r = CliRunner.Run("search", "--onnx", OnnxTestModels.ResNet18Path, "--data", dir, "--images", "6",
            "--mode", "qat", "--size-mb", "12", "--preprocess", "cntk-bgr", "--out", json);

        Assert.True(r.ExitCode == 0, r.Error);
        var report = JsonNode.Parse(File.ReadAllText(json))!;
        Assert.Equal("cntk-bgr", (string)report["preprocess"]!);
        Assert.Contains("BGR 0-255", (string)report["data"]!);
        var units = report["units"]!.AsArray();
        Assert.Equal(18, units.Count); // the CNTK export has 9 basic blocks → 2 QAT units each
        double size = (double)report["size_mib"]!;
        Assert.InRange(size, 0, 12.0);
        var orm = report["orm"]!.AsArray();
        for (int i = 0; i < units.Count; i++)
        {
            Assert.Equal(1.0, (double)orm[i]![i]!, 6);
            for (int j = 0; j < units.Count; j++)
            {
                double v = (double)orm[i]![j]!;
                Assert.InRange(v, 0.0, 1.0 + 1e-9);
                Assert.Equal(v, (double)orm[j]![i]!, 12);
            }
        }
        foreach (var u in units)
            Assert.InRange((int)u!["bits"]!, 4, 8);
    }
}
