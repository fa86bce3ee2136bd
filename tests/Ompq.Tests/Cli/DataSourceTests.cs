using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Ompq.Host;
using Ompq.Host.Data;

namespace Ompq.Tests.Cli;

/// <summary>The batch sources: image folders (real PNG decoding), IDX folders for mnist, and the progress line.</summary>
public sealed class DataSourceTests
{
    [Fact]
    public void ImageFolderIsDecodedResizedAndNormalised()
    {
        string dir = CliRunner.TempDir();
        for (int i = 0; i < 3; i++)
        {
            using var image = new TestImage(40 + i, 30, ((byte)(60 * i), 128, 255));
            image.FillRect(5, 5, 10, 10, (255, 0, 0));
            File.WriteAllBytes(Path.Combine(dir, $"img{i}.png"), image.EncodePng());
        }
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "not an image");

        var batch = BatchLoader.Load(new BatchLoader.Request(dir, null, 3, 3, 16, 0, Preprocessing.Imagenet));
        Assert.Equal((3, 3, 16, 16), (batch.Count, batch.Channels, batch.Height, batch.Width));
        // Image 0 has blue = 255 in its background: ImageNet-normalised (1 − 0.406)/0.225.
        Assert.Equal((1f - 0.406f) / 0.225f, batch.Pixels[2 * 256 + 15 * 16 + 15], 4);
        // Green = 128/255 everywhere outside the red square.
        Assert.Equal((128f / 255f - 0.456f) / 0.224f, batch.Pixels[256 + 15 * 16 + 15], 4);

        var gray = BatchLoader.Load(new BatchLoader.Request(dir, null, 2, 1, 16, 0, Preprocessing.Imagenet));
        Assert.Equal(1, gray.Channels);

        var onnx = BatchLoader.Load(new BatchLoader.Request(dir, null, 2, 3, 16, 0, Preprocessing.CntkBgr));
        // BGR 0–255 minus the CNTK mean image's channel means: plane 0 is blue.
        Assert.Equal(255f - 103.06f, onnx.Pixels[15 * 16 + 15], 3);
        Assert.Equal(128f - 115.90f, onnx.Pixels[256 + 15 * 16 + 15], 3);

        var raw = BatchLoader.Load(new BatchLoader.Request(dir, null, 2, 3, 16, 0, Preprocessing.None));
        Assert.Equal(1f, raw.Pixels[2 * 256 + 15 * 16 + 15]);
        Assert.Contains("no normalisation", raw.Description);

        var ex = Assert.Throws<Ompq.Runtime.InvalidInputException>(() =>
            BatchLoader.Load(new BatchLoader.Request(dir, null, 2, 1, 16, 0, Preprocessing.CntkBgr)));
        Assert.Contains("--preprocess cntk-bgr needs a 3-channel model", ex.Message);
    }

    [Fact]
    public void SearchRunsOnAnImageFolder()
    {
        string dir = CliRunner.TempDir();
        var rng = new Random(1);
        for (int i = 0; i < 4; i++)
        {
            using var image = new TestImage(32, 32, (0, 0, 0));
            for (int k = 0; k < 40; k++)
                image.FillRect(rng.Next(32), rng.Next(32), rng.Next(1, 8), rng.Next(1, 8), ((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)));
            File.WriteAllBytes(Path.Combine(dir, $"{i}.png"), image.EncodePng());
        }
        var r = CliRunner.Run("search", "--model", "resnet20", "--data", dir, "--images", "4", "--size-mb", "0.15", "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("first 4 images (by name)", (string)JsonNode.Parse(r.Out)!["data"]!);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void IdxImageIsDecodedExactly(bool isFloat)
    {
        const int count = 5, rows = 3, columns = 4, plane = rows * columns;
        var bytes = new byte[16 + count * plane * (isFloat ? 4 : 1)];
        bytes[2] = isFloat ? (byte)0x0D : (byte)0x08; bytes[3] = 3;
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), columns);
        var expected = new float[count * plane];
        for (int i = 0; i < expected.Length; i++)
        {
            if (isFloat)
            {
                expected[i] = (i * 37 % 101) / 100f;
                BinaryPrimitives.WriteSingleBigEndian(bytes.AsSpan(16 + 4 * i), expected[i]);
            }
            else
            {
                bytes[16 + i] = (byte)(i * 37 % 256);
                expected[i] = bytes[16 + i] / 255f;
            }
        }
        string path = Path.Combine(CliRunner.TempDir(), "images-idx3");
        File.WriteAllBytes(path, bytes);

        var images = IdxImages.Read(path);
        Assert.Equal((count, rows, columns), (images.Count, images.Rows, images.Columns));
        var image = new float[plane];
        for (int n = 0; n < count; n++)
        {
            images.CopyImage(n, image);
            Assert.Equal(expected.AsSpan(n * plane, plane).ToArray(), image);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => images.CopyImage(count, image));
    }

    [Fact]
    public void MnistReadsIdxFromTheDataDir()
    {
        string dir = CliRunner.TempDir();
        const int count = 10, side = 28;
        var bytes = new byte[16 + count * side * side];
        bytes[2] = 0x08; bytes[3] = 3;
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), side);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), side);
        for (int i = 16; i < bytes.Length; i++) bytes[i] = (byte)(i * 7 % 256);
        File.WriteAllBytes(Path.Combine(dir, "t10k-images-idx3-ubyte"), bytes);

        var batch = BatchLoader.Load(new BatchLoader.Request("mnist", dir, 4, 1, 28, 5, Preprocessing.Imagenet));
        Assert.Equal(4 * 28 * 28, batch.Pixels.Length);
        Assert.Contains("MNIST", batch.Description);
        // Same seed, same draw; another seed, another draw.
        Assert.Equal(batch.Pixels, BatchLoader.Load(new BatchLoader.Request("mnist", dir, 4, 1, 28, 5, Preprocessing.Imagenet)).Pixels);
        Assert.NotEqual(batch.Pixels, BatchLoader.Load(new BatchLoader.Request("mnist", dir, 4, 1, 28, 6, Preprocessing.Imagenet)).Pixels);

        // 28×28 grey into a 3-channel 56×56 model: resized and replicated.
        var rgb = BatchLoader.Load(new BatchLoader.Request("mnist", dir, 2, 3, 56, 5, Preprocessing.Imagenet));
        Assert.Equal(2 * 3 * 56 * 56, rgb.Pixels.Length);
        Assert.Contains("grey replicated to 3 channels", rgb.Description);
    }

    [Fact]
    public void ProgressLineIsDrawnOnlyWhenEnabled()
    {
        var shown = new StringWriter();
        var progress = new ProgressLine(shown, enabled: true);
        progress.Show("features 1/2 layer1.0.conv1", always: true);
        progress.Show("features 2/2 layer1.0", always: true);
        progress.Show("throttled: within a tenth of a second of the last line");
        progress.Clear();
        Assert.Contains("features 2/2 layer1.0", shown.ToString());
        Assert.DoesNotContain("throttled", shown.ToString());
        Assert.EndsWith("\r", shown.ToString());

        var hidden = new StringWriter();
        var off = new ProgressLine(hidden, enabled: false);
        off.Show("x", always: true);
        off.Clear();
        Assert.Equal("", hidden.ToString());
    }
}
