using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Ompq.Tests.Io;

namespace Ompq.Tests.Cli;

/// <summary>
/// Small crafted files that ask for gigabytes, wrap 32-bit sizes or hang a quadratic loop (issue 13). Each runs `ompq
/// search` as a child process and must end within seconds with exit code 2, exactly one "error: …" line naming the
/// file and the field, no .NET type names or stack trace, no output file, and a peak resident set (VmHWM, sampled from
/// /proc on Linux) far below the machine's memory.
/// </summary>
public sealed class HostileInputTests
{
    /// <summary>What a refused input may cost at most: the CLI's own footprint plus a little (the machine has 24 GiB).</summary>
    private const long PeakBudgetBytes = 400L << 20;

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly string _dir = CliRunner.TempDir();

    private string OutFile => Path.Combine(_dir, "report.json");

    private void AssertRefused(string[] args, params string[] expected)
    {
        var r = CliProcess.Run(Deadline, [.. args, "--out", OutFile]);
        string context = $"exit {r.ExitCode}, stderr: {r.Error}";
        Assert.True(r.ExitCode == 2, context);
        string[] lines = r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, context);
        Assert.StartsWith("error: ", lines[0]);
        foreach (string e in expected) Assert.True(lines[0].Contains(e, StringComparison.Ordinal), $"'{e}' not in: {lines[0]}");
        Assert.DoesNotContain("   at ", r.Error);
        Assert.DoesNotContain("Exception", r.Error);
        Assert.DoesNotContain("System.", r.Error);
        Assert.DoesNotContain("internal failure", r.Error);
        Assert.Equal("", r.Out);
        Assert.False(File.Exists(OutFile), "a refused run left an output file");
        Assert.True(Directory.GetFiles(_dir, "report.json*").Length == 0, "a refused run left a temporary output file");
        if (OperatingSystem.IsLinux())
            Assert.True(r.PeakBytes > 0 && r.PeakBytes < PeakBudgetBytes, $"peak resident set {r.PeakBytes >> 20} MiB; {context}");
        Assert.True(r.Elapsed < TimeSpan.FromSeconds(30), $"took {r.Elapsed.TotalSeconds:F1} s");
        Console.WriteLine($"{r.PeakBytes >> 20} MiB peak, {r.Elapsed.TotalSeconds:F1} s: {lines[0]}");
    }

    // ---- ONNX -------------------------------------------------------------------------------------------------

    private string[] SearchOnnx(string path) => ["search", "--onnx", path, "--data", "synthetic", "--images", "2", "--size-mb", "1"];

    private string Onnx(string name, Action<OnnxGraphBuilder> build)
    {
        var g = new OnnxGraphBuilder(seed: 13);
        build(g);
        string path = Path.Combine(_dir, name + ".onnx");
        File.WriteAllBytes(path, g.Build());
        return path;
    }

    private static string Zeros(OnnxGraphBuilder g, string name, params long[] dims)
        => g.Initializer(name, dims, new float[dims.Aggregate(1L, (a, b) => a * b)]);

    [Fact]
    public void DepthwiseDilationThatWrapsIn32BitsIsRefusedNotRun()
    {
        // dilation·(kernel − 1) = 65536·65536 = 2^32: 0 in int32, so the window looked like one tap.
        string path = Onnx("depthwise-wrap", g =>
        {
            g.Input("x", 1, 1, 8, 8);
            g.Node("Conv", "dw", ["x", Zeros(g, "w", 1, 1, 65537, 1)], ["y"],
                OnnxGraphBuilder.All(OnnxGraphBuilder.Ints("dilations", 65536, 1), OnnxGraphBuilder.Int("group", 1)));
            g.Output("y", 1, 1, 1, 8);
        });
        AssertRefused(SearchOnnx(path), path, "node 'dw'", "4294967297");
    }

    [Fact]
    public void OrdinaryConvDilationThatWrapsIn32BitsIsRefused()
    {
        string path = Onnx("conv-wrap", g =>
        {
            g.Input("x", 1, 2, 8, 8);
            g.Node("Conv", "c", ["x", Zeros(g, "w", 1, 2, 65537, 1)], ["y"], OnnxGraphBuilder.Ints("dilations", 65536, 1));
            g.Output("y", 1, 1, 1, 8);
        });
        AssertRefused(SearchOnnx(path), path, "node 'c'", "does not fit", "4294967297");
    }

    private string ConvThenPool(string name, long window, long pad) => Onnx(name, g =>
    {
        g.Input("x", 1, 3, 8, 8);
        g.Node("Conv", "c", ["x", Zeros(g, "w", 4, 3, 1, 1)], ["h"]);
        g.Node("MaxPool", "pool", ["h"], ["y"],
            OnnxGraphBuilder.All(OnnxGraphBuilder.Ints("kernel_shape", window, window), OnnxGraphBuilder.Ints("pads", pad, pad, pad, pad)));
        g.Output("y", 1, 4, 8, 8);
    });

    [Fact]
    public void MaxPoolWindowOfTensOfGigabytesOfPaddingIsRefused()
    {
        string path = ConvThenPool("pool-bomb", 65535, 32767);
        AssertRefused(SearchOnnx(path), path, "MaxPool node 'pool'");
    }

    [Fact]
    public void MaxPoolWindowThatWouldRunForMinutesIsRefusedByTheWindowLimit()
    {
        string path = ConvThenPool("pool-slow", 4095, 2047);
        AssertRefused(SearchOnnx(path), path, "MaxPool node 'pool'", "window-taps", "--limits window-taps=");
    }

    [Fact]
    public void ConvPaddingOfTensOfThousandsIsRefused()
    {
        string path = Onnx("conv-pads", g =>
        {
            g.Input("x", 1, 1, 8, 8);
            g.Node("Conv", "c", ["x", Zeros(g, "w", 1, 1, 3, 3)], ["y"], OnnxGraphBuilder.Ints("pads", 65536, 65536, 65536, 65536));
            g.Output("y", 1, 1, 8, 8);
        });
        AssertRefused(SearchOnnx(path), path, "node 'c'");
    }

    [Fact]
    public void InputOfMillionsOfChannelsIsRefusedBeforeAllocation()
    {
        string path = Onnx("channels", g =>
        {
            g.Input("x", 1, 4194304, 32, 32);
            g.Node("Relu", "r", ["x"], ["y"]);
            g.Output("y", 1, 4194304, 32, 32);
        });
        AssertRefused(SearchOnnx(path), path, "input 'x'", "4194304×32×32", "tensor-elements");
    }

    [Fact]
    public void NegativeInputDimsAreNamed()
    {
        string path = Onnx("negative", g =>
        {
            g.InputValues("x", 1, 3, -5, -5);
            g.Node("Relu", "r", ["x"], ["y"]);
            g.Output("y", 1, 3, 8, 8);
        });
        AssertRefused(SearchOnnx(path), path, "input 'x'", "dimension -5");
    }

    [Fact]
    public void InputHeightBeyondInt32IsNotTruncated()
    {
        string path = Onnx("tall", g =>
        {
            g.Input("x", 1, 3, 4294967328, 32);
            g.Node("Conv", "c", ["x", Zeros(g, "w", 4, 3, 1, 1)], ["y"]);
            g.Output("y", 1, 4, 32, 32);
        });
        AssertRefused(SearchOnnx(path), path, "input 'x'", "4294967328");
    }

    [Fact]
    public void InitializerDimBeyondInt32IsNotTruncated()
    {
        string path = Onnx("wide-weight", g =>
        {
            g.Input("x", 1, 3, 8, 8);
            g.Node("Conv", "c", ["x", g.Initializer("w", [4294967299, 1, 1, 1], new float[3])], ["y"]);
            g.Output("y", 1, 3, 8, 8);
        });
        AssertRefused(SearchOnnx(path), path, "tensor 'w'", "4294967299");
    }

    private string ConvThenReshape(string name, params long[] target) => Onnx(name, g =>
    {
        g.Input("x", 1, 1, 4, 4);
        g.Node("Conv", "c", ["x", Zeros(g, "w", 1, 1, 1, 1)], ["h"]);
        g.Node("Reshape", "reshape", ["h", Int64Initializer(g, "target", target)], ["y"]);
        g.Output("y", 1, 16);
    });

    private static string Int64Initializer(OnnxGraphBuilder g, string name, long[] values)
    {
        // INT64 (data type 7) as int64_data; OnnxGraphBuilder.Initializer writes floats.
        var raw = new byte[8 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(8 * i), values[i]);
        g.RawInitializer(name, [values.Length], 7, raw);
        return name;
    }

    [Theory]
    [InlineData(new long[] { 1, 4294967312 }, "4294967312")]
    [InlineData(new long[] { 1, -2, -8 }, "-2")]
    [InlineData(new long[] { 1, -1, -1 }, "more than one inferred")]
    public void ReshapeTargetsThatWrapOrMeanNothingAreNamed(long[] target, string expected)
    {
        string path = ConvThenReshape("reshape" + string.Join("_", target), target);
        AssertRefused(SearchOnnx(path), path, "node 'reshape'", expected);
    }

    [Fact]
    public void ClipWithATwoValueBoundIsNamed()
    {
        string path = Onnx("clip", g =>
        {
            g.Input("x", 1, 1, 4, 4);
            g.Node("Conv", "c", ["x", Zeros(g, "w", 1, 1, 1, 1)], ["h"]);
            g.Node("Clip", "clip", ["h", g.Initializer("lo", [2], [0f, 0f]), g.Initializer("hi", [1], [6f])], ["y"]);
            g.Output("y", 1, 1, 4, 4);
        });
        AssertRefused(SearchOnnx(path), path, "node 'clip'", "'lo' holds 2 values; expected one");
    }

    [Fact]
    public void GraphWithoutWeightLayersIsNamed()
    {
        string path = Onnx("no-weights", g =>
        {
            g.Input("x", 1, 3, 8, 8);
            g.Node("Relu", "r", ["x"], ["y"]);
            g.Output("y", 1, 3, 8, 8);
        });
        AssertRefused(SearchOnnx(path), path, "no Conv, Gemm or MatMul layer");
    }

    [Fact]
    public void ReluFromAnotherDomainIsNotFusedIntoTheConv()
    {
        string path = Onnx("ms-relu", g =>
        {
            g.Input("x", 1, 3, 8, 8);
            g.Node("Conv", "c", ["x", Zeros(g, "w", 4, 3, 1, 1)], ["h"]);
            g.Node("Relu", "msrelu", ["h"], ["y"], OnnxGraphBuilder.Domain("com.microsoft"));
            g.Output("y", 1, 4, 8, 8);
        });
        AssertRefused(SearchOnnx(path), path, "node 'msrelu'", "domain 'com.microsoft'");
    }

    [Fact]
    public void HugeDeclaredInputIsRefusedAsTheModels()
    {
        string path = Onnx("huge-input", g =>
        {
            g.Input("x", 1, 3, 1048576, 1048576);
            g.Node("Conv", "c", ["x", Zeros(g, "w", 4, 3, 1, 1)], ["y"]);
            g.Output("y", 1, 4, 1048576, 1048576);
        });
        AssertRefused(SearchOnnx(path), path, "input 'x'", "image-pixels");
    }

    [Fact]
    public void InputSizeTheModelDeclaresIsNotBlamedOnTheOption()
    {
        string path = Onnx("big-input", g =>
        {
            g.Input("x", 1, 3, 2048, 2048);
            g.Node("Conv", "c", ["x", Zeros(g, "w", 4, 3, 1, 1)], ["y"]);
            g.Output("y", 1, 4, 2048, 2048);
        });
        var r = CliProcess.Run(Deadline, [.. SearchOnnx(path), "--out", OutFile]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"input size declared by '{path}' 2048 is invalid", r.Error);
        Assert.DoesNotContain("--input-size 2048", r.Error);
    }

    // ---- Devices and FIFOs -------------------------------------------------------------------------------------

    [Theory]
    [InlineData("--onnx")]
    [InlineData("--weights")]
    [InlineData("--data")]
    public void DevZeroIsRefusedNotReadForever(string option)
    {
        if (!File.Exists("/dev/zero")) return;
        string[] args = option switch
        {
            "--onnx" => SearchOnnx("/dev/zero"),
            "--weights" => ["search", "--model", "resnet20", "--weights", "/dev/zero", "--data", "synthetic", "--images", "2", "--size-mb", "1"],
            _ => ["search", "--model", "resnet20", "--data", "/dev/zero", "--images", "2", "--size-mb", "1"],
        };
        AssertRefused(args, "/dev/zero", "not a regular file");
    }

    [Fact]
    public void FifoIsRefusedWithoutBlocking()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/bin/mkfifo")) return;
        string fifo = Path.Combine(_dir, "model.onnx");
        using (var mk = System.Diagnostics.Process.Start("/usr/bin/mkfifo", [fifo])) mk.WaitForExit();
        AssertRefused(SearchOnnx(fifo), fifo, "not a regular file");
    }

    // ---- PyTorch zips -------------------------------------------------------------------------------------------

    private string[] SearchWeights(string path) => ["search", "--model", "resnet20", "--weights", path, "--data", "synthetic", "--images", "2", "--size-mb", "1"];

    private string TorchZip(string name, byte[] pickle, int storageFloats)
    {
        string path = Path.Combine(_dir, name + ".pt");
        TorchZipBuilder.Write(path, pickle, storageFloats);
        return path;
    }

    [Fact]
    public void StrideZeroViewOfTwoBillionElementsIsRefusedWithTheCountAsDeclared()
    {
        string path = TorchZip("stride0", TorchZipBuilder.TensorPickle("fc.weight", 1, 0, [1L << 31], [0]), 1);
        AssertRefused(SearchWeights(path), path, "tensor 'fc.weight'", "2147483648", "tensor-elements");
    }

    [Fact]
    public void StrideOfTwoToThe62IsRefusedNotWrapped()
    {
        string path = TorchZip("stride62", TorchZipBuilder.TensorPickle("fc.weight", 4, 0, [2, 2], [1L << 62, 1]), 4);
        AssertRefused(SearchWeights(path), path, "tensor 'fc.weight'", "4611686018427387904", "reaches element");
    }

    [Fact]
    public void PickleDupBombStopsAtTheStackLimit()
    {
        var pickle = new MemoryStream();
        pickle.Write([0x80, 2, (byte)'N']);
        pickle.Write(Enumerable.Repeat((byte)'2', 3_000_000).ToArray()); // DUP
        pickle.WriteByte((byte)'.');
        string path = TorchZip("dup", pickle.ToArray(), 1);
        AssertRefused(SearchWeights(path), path, "pickle-stack", "--limits pickle-stack=");
    }

    [Fact]
    public void ZipEntryDeclaringGigabytesIsRefusedBeforeDecompression()
    {
        string path = TorchZip("bomb", TorchZipBuilder.TensorPickle("fc.weight", 4, 0, [4], [1]), 4);
        TorchZipBuilder.DeclareSize(path, "archive/data/0", 0xF0000000);
        AssertRefused(SearchWeights(path), path, "archive/data/0", "4026531840", "input-bytes");
    }

    [Fact]
    public void PickleValuesAreNamedInPythonTerms()
    {
        var p = new MemoryStream();
        p.Write([0x80, 2, (byte)'}', (byte)'X', 1, 0, 0, 0, (byte)'a', (byte)'K', 1, (byte)'K', 2, 0x86, (byte)'s', (byte)'.']);
        string path = TorchZip("tuple", p.ToArray(), 1);
        AssertRefused(SearchWeights(path), path, "entry 'a' is a tuple, not a tensor");
    }

    // ---- IDX files and image folders ---------------------------------------------------------------------------

    private string[] SearchData(string data) => ["search", "--model", "resnet20", "--data", data, "--images", "2", "--size-mb", "1"];

    private static byte[] IdxHeader(params int[] dims)
    {
        var header = new byte[4 + 4 * dims.Length];
        header[2] = 8;
        header[3] = (byte)dims.Length;
        for (int d = 0; d < dims.Length; d++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * d), dims[d]);
        return header;
    }

    [Fact]
    public void IdxGzipBombIsRefusedByItsDeclaredSize()
    {
        string path = Path.Combine(_dir, "bomb-idx3-ubyte.gz");
        using (var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest))
        {
            gz.Write(IdxHeader(3, 32768, 32768));
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 16; i++) gz.Write(zeros);
        }
        AssertRefused(SearchData(path), path, "3×32768×32768", "input-bytes");
    }

    [Fact]
    public void IdxSizesWhoseProductOverflows64BitsAreRefused()
    {
        string path = Path.Combine(_dir, "overflow-idx3-ubyte");
        File.WriteAllBytes(path, IdxHeader(16, 1 << 30, 1 << 30));
        AssertRefused(SearchData(path), path, "16×1073741824×1073741824");
    }

    [Fact]
    public void HugePngsInAFolderAreRefusedFromTheirHeader()
    {
        string folder = Path.Combine(_dir, "pngs");
        Directory.CreateDirectory(folder);
        foreach (string name in new[] { "a.png", "b.png" }) File.WriteAllBytes(Path.Combine(folder, name), PngHeaderOnly(20000, 20000));
        AssertRefused(SearchData(folder), Path.Combine(folder, "a.png"), "20000×20000", "image-pixels");
    }

    [Fact]
    public void BatchTooLargeForTheTensorLimitIsNamedNotOverflowed() =>
        AssertRefused(["search", "--model", "resnet20", "--data", "synthetic", "--images", "4096", "--input-size", "1024", "--size-mb", "1"],
            "--images 4096", "tensor-elements");

    [Fact]
    public void LimitsOptionRejectsUnknownKeys() =>
        AssertRefused(["search", "--model", "resnet20", "--data", "synthetic", "--size-mb", "1", "--limits", "tensor-elementz=5"],
            "unknown limit 'tensor-elementz'");

    [Fact]
    public void RaisedLimitLetsTheInputThrough()
    {
        // The window refused by default runs once window-taps allows it (a small input keeps it quick).
        string path = Onnx("pool-raised", g =>
        {
            g.Input("x", 1, 3, 8, 8);
            g.Node("Conv", "c", ["x", Zeros(g, "w", 4, 3, 1, 1)], ["h"]);
            g.Node("MaxPool", "pool", ["h"], ["y"], OnnxGraphBuilder.Ints("kernel_shape", 8, 8));
            g.Output("y", 1, 4, 1, 1);
        });
        var refused = CliProcess.Run(Deadline, [.. SearchOnnx(path), "--limits", "window-taps=32"]);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("window-taps limit of 32", refused.Error);
        var passed = CliProcess.Run(Deadline, [.. SearchOnnx(path), "--limits", "window-taps=64", "--json"]);
        Assert.DoesNotContain("window-taps", passed.Error);
    }

    /// <summary>A PNG signature and IHDR chunk declaring <paramref name="width"/>×<paramref name="height"/> (the decoder never gets further).</summary>
    private static byte[] PngHeaderOnly(int width, int height)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 0; // grey: the decoder's own 1 GiB check passes it, so only the pixel limit stands in the way
        var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(png, "IHDR", ihdr);
        Chunk(png, "IDAT", new byte[16]);
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        png.Write(word);
    }

    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}
