using Ompq.Runtime;

namespace Ompq.Host.Data;

/// <summary>
/// Maps the CLI's --data value and a split to a labelled set for training or evaluation:
/// <list type="bullet">
/// <item>"fashion-mnist", "mnist": the IDX files (1×28×28, the dataset's mean/std) found by <see cref="IdxDataSet"/>;</item>
/// <item>a folder: if it has any of the subfolders "train", "test", "val", it is split: "train" serves
/// <see cref="DataSplit.Train"/> and "test", else "val", serves <see cref="DataSplit.Test"/>; otherwise the folder
/// itself serves both splits (the set's Name says so). Each is ImageFolder-layout, 3×size×size, ImageNet mean/std.</item>
/// </list>
/// </summary>
public static class LabelledDataSets
{
    public const int DefaultFolderImageSize = 32;

    public static InMemoryLabelledImages Open(string data, DataSplit split, string? dataDir = null, int folderImageSize = DefaultFolderImageSize)
    {
        if (data == IdxDataSet.FashionMnist.Key) return OpenIdx(IdxDataSet.FashionMnist, split, dataDir);
        if (data == IdxDataSet.Mnist.Key) return OpenIdx(IdxDataSet.Mnist, split, dataDir);
        if (Directory.Exists(data))
        {
            string folder = SplitFolder(data, split) ?? data;
            string name = folder == data ? $"{data} (no {SplitName(split)} subfolder: the whole folder)" : folder;
            return ImageFolderLabelledImages.Load(folder, folderImageSize, Normalization.ImageNet, name);
        }
        throw new InvalidInputException(
            $"--data '{data}' is neither a labelled dataset name (fashion-mnist, mnist) nor an existing image folder with one subfolder per class");
    }

    public static InMemoryLabelledImages OpenIdx(IdxDataSet set, DataSplit split, string? dataDir = null)
    {
        string imagesPath = set.FindImages(split, dataDir);
        string labelsPath = set.FindLabels(split, imagesPath);
        return FromIdxFiles($"{set.Key} {SplitName(split)}", imagesPath, labelsPath, set.Classes, set.Normalization);
    }

    /// <summary>An unsigned-byte IDX image file and its label file, which must hold one label per image.</summary>
    public static InMemoryLabelledImages FromIdxFiles(string name, string imagesPath, string labelsPath, int classes, Normalization normalization)
    {
        var images = IdxImages.Read(imagesPath);
        if (!images.IsUnsignedByte)
            throw new InvalidInputException($"image file '{imagesPath}' holds float32 pixels; labelled sets expect unsigned-byte IDX images (magic 0x00000803)");
        var labels = IdxLabels.Read(labelsPath, classes);
        if (labels.Length != images.Count)
            throw new InvalidInputException(
                $"label file '{labelsPath}' holds {labels.Length} labels but image file '{imagesPath}' holds {images.Count} images; expected one label per image");
        return new InMemoryLabelledImages(name, images.UnsignedBytes, (1, images.Rows, images.Columns), labels, classes, normalization);
    }

    public static string SplitName(DataSplit split) => split == DataSplit.Train ? "train" : "test";

    /// <summary>The split's subfolder when the folder is split into train/test(/val), null when it is not split at all.</summary>
    private static string? SplitFolder(string data, DataSplit split)
    {
        string[] layout = ["train", "test", "val"];
        if (!layout.Any(n => Directory.Exists(Path.Combine(data, n)))) return null;
        string[] names = split == DataSplit.Train ? ["train"] : ["test", "val"];
        return names.Select(n => Path.Combine(data, n)).FirstOrDefault(Directory.Exists)
            ?? throw new InvalidInputException(
                $"image folder '{data}' is split into train/test/val subfolders but has no {string.Join(" or ", names)} subfolder for the {SplitName(split)} split");
    }
}
