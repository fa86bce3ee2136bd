using System.Text.Json;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Training;

namespace Ompq.Tests.Cli;

/// <summary>
/// `ompq ptq` from the committed float baseline on a few hundred images: `ompq eval` reads the checkpoint and
/// reproduces the reported top-1 exactly, and every quantized weight lies on its grid. Bad input: exit 2, one
/// "error:" line, no output file.
/// </summary>
public sealed class PtqCommandTests
{
    private static string Baseline => Path.Combine(RepositoryRoot(), "models", "resnet20-fashion-mnist.safetensors");

    [SkippableFact]
    public void EvalReproducesPtqTop1AndWeightsLieOnTheGrid()
    {
        TrainCommandTests.SkipUnlessFashionMnist();
        string path = Path.Combine(CliRunner.TempDir(), "ptq.safetensors");
        var ptq = CliRunner.Run(["ptq", "--weights", Baseline, "--uniform-bits", "4", "--calibration", "256", "--iterations", "20",
            "--test-limit", "300", "--out", path, "--json"]);
        Assert.True(ptq.ExitCode == 0, ptq.Error);
        var summary = JsonDocument.Parse(ptq.Out).RootElement;
        double top1 = summary.GetProperty("top1").GetDouble();
        Assert.True(top1 > 0.5, $"4-bit PTQ of a 93 % baseline should stay far above chance, got {top1}");
        var blocks = summary.GetProperty("blocks").EnumerateArray().ToList();
        Assert.Equal(11, blocks.Count);
        Assert.All(blocks, b => Assert.True(b.GetProperty("mse_learned").GetDouble() > 0));

        var eval = CliRunner.Run(["eval", "--weights", path, "--limit", "300", "--json"]);
        Assert.True(eval.ExitCode == 0, eval.Error);
        Assert.Equal(top1, JsonDocument.Parse(eval.Out).RootElement.GetProperty("top1").GetDouble());

        var checkpoint = TrainingCheckpoint.Load(path);
        Assert.True(checkpoint.BatchNormFolded);
        using var model = checkpoint.CreateModel(path);
        var layers = model.WeightLayers.ToList();
        Assert.Equal(layers.Count, checkpoint.Quantization.Layers.Count);
        foreach (var layer in layers)
        {
            var q = checkpoint.Quantization.For(layer.Name)!;
            Assert.Equal(layer.Name is "conv1" or "fc" ? 8 : 4, q.WeightBits);
            Assert.NotNull(q.Input);
            Assert.Equal(8, q.Input!.Bits);
            Assert.Equal(layer.Name != "conv1", q.Input.Unsigned); // the image is signed, every other input follows a ReLU
            var scales = q.WeightScales!;
            var weight = model.Parameters[layer.WeightName].Data;
            int perChannel = weight.Length / scales.Length;
            int qmax = (1 << (q.WeightBits - 1)) - 1;
            for (int i = 0; i < weight.Length; i++)
            {
                float level = weight[i] / scales[i / perChannel];
                Assert.True(Math.Abs(level - MathF.Round(level)) <= 1e-4f && MathF.Round(level) >= -qmax - 1 && MathF.Round(level) <= qmax,
                    $"{layer.Name}[{i}]: w/s = {level} is not a grid level");
            }
        }
    }

    private static void AssertBadInput(CliRunner.Result r, string expected, string? outFile = null)
    {
        Assert.Equal(2, r.ExitCode);
        string[] lines = r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        Assert.Equal("", r.Out);
        if (outFile is not null) Assert.False(File.Exists(outFile), $"{outFile} was written");
    }

    private static (CliRunner.Result Result, string Out) Ptq(params string[] args)
    {
        string outFile = Path.Combine(CliRunner.TempDir(), "ptq.safetensors");
        return (CliRunner.Run(["ptq", .. args, "--out", outFile]), outFile);
    }

    [Fact]
    public void MissingCheckpoint()
    {
        var (r, outFile) = Ptq("--weights", "/nonexistent/float.safetensors", "--uniform-bits", "4");
        AssertBadInput(r, "/nonexistent/float.safetensors: no such checkpoint file", outFile);
    }

    [Fact]
    public void QuantizedCheckpointIsRefused()
    {
        // A checkpoint of the folded model (what qat and ptq write) is not a float one.
        string dir = CliRunner.TempDir();
        string folded = Path.Combine(dir, "folded.safetensors");
        var source = TrainingCheckpoint.Load(Baseline);
        using (var model = source.CreateModel(Baseline))
        using (var foldedModel = model.FoldBatchNorm())
        {
            var parameters = foldedModel.Parameters.Names.Select(n => new KeyValuePair<string, Ompq.Runtime.Tensors.HostTensor>(n, foldedModel.Parameters[n])).ToArray();
            new TrainingCheckpoint(source.Model, source.Dataset, source.Options, new TrainingState(), parameters,
                new Dictionary<string, Ompq.Runtime.Tensors.HostTensor>(), 0, batchNormFolded: true).Save(folded);
        }
        var (r, outFile) = Ptq("--weights", folded, "--uniform-bits", "4");
        AssertBadInput(r, "is already quantized; --weights takes a float checkpoint", outFile);
    }

    [Fact]
    public void NotACheckpoint()
    {
        string file = Path.Combine(CliRunner.TempDir(), "junk.safetensors");
        File.WriteAllText(file, "not a safetensors file");
        var (r, outFile) = Ptq("--weights", file, "--uniform-bits", "4");
        AssertBadInput(r, file, outFile);
    }

    [Theory]
    [InlineData("9", "--uniform-bits must be in 2..8, got 9")]
    [InlineData("1", "--uniform-bits must be in 2..8, got 1")]
    public void BadUniformBits(string bits, string expected)
    {
        var (r, outFile) = Ptq("--weights", Baseline, "--uniform-bits", bits);
        AssertBadInput(r, expected, outFile);
    }

    [Fact]
    public void NoBitsGiven()
    {
        var (r, outFile) = Ptq("--weights", Baseline);
        AssertBadInput(r, "give exactly one of --uniform-bits B (2..8) or --bits-from REPORT.json", outFile);
    }

    [Fact]
    public void BothBitSourcesGiven()
    {
        var (r, outFile) = Ptq("--weights", Baseline, "--uniform-bits", "4", "--bits-from", "report.json");
        AssertBadInput(r, "give exactly one of --uniform-bits B (2..8) or --bits-from REPORT.json", outFile);
    }

    [Fact]
    public void MissingBitsReport()
    {
        var (r, outFile) = Ptq("--weights", Baseline, "--bits-from", "/nonexistent/report.json");
        AssertBadInput(r, "no such search report", outFile);
    }

    [Theory]
    [InlineData("--act-bits", "9", "--act-bits must be in 2..8, got 9")]
    [InlineData("--calibration", "0", "--calibration must be >= 1, got 0")]
    [InlineData("--iterations", "0", "--iterations must be >= 1, got 0")]
    [InlineData("--lr", "0", "--lr must be a positive number, got 0")]
    public void BadSetting(string option, string value, string expected)
    {
        var (r, outFile) = Ptq("--weights", Baseline, "--uniform-bits", "4", option, value);
        AssertBadInput(r, expected, outFile);
    }

    [SkippableFact]
    public void CalibrationLargerThanTheTrainingSplit()
    {
        TrainCommandTests.SkipUnlessFashionMnist();
        var (r, outFile) = Ptq("--weights", Baseline, "--uniform-bits", "4", "--calibration", "60001");
        AssertBadInput(r, "--calibration 60001 is more than the 60000 images of fashion-mnist train", outFile);
    }

    [Fact]
    public void ExistingOutputIsNotOverwritten()
    {
        string outFile = Path.Combine(CliRunner.TempDir(), "taken.safetensors");
        File.WriteAllText(outFile, "keep me");
        var r = CliRunner.Run(["ptq", "--weights", Baseline, "--uniform-bits", "4", "--out", outFile]);
        AssertBadInput(r, "already exists");
        Assert.Equal("keep me", File.ReadAllText(outFile));
    }

    [Fact]
    public void MissingOutputFolder()
    {
        var r = CliRunner.Run(["ptq", "--weights", Baseline, "--uniform-bits", "4", "--out", "/nonexistent/dir/out.safetensors"]);
        AssertBadInput(r, "does not exist");
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "OmpqKernels.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no OmpqKernels.sln above {AppContext.BaseDirectory}");
    }
}
