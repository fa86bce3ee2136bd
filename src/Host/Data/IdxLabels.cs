using Ompq.Runtime;

namespace Ompq.Host.Data;

/// <summary>
/// Reads an IDX label file (MNIST format, optionally gzip-compressed): magic 0x00000801 (2049, unsigned bytes,
/// one dimension), then the count, then one class index per image.
/// </summary>
public static class IdxLabels
{
    private static readonly IdxFile.Format LabelFormat = new("label", "t10k-labels-idx1-ubyte", 1, [IdxFile.UnsignedByte],
        "magic 0x00000801 (ubyte) with 1 dimension");

    /// <summary>The labels, each checked to be a class index in [0, <paramref name="classes"/>).</summary>
    public static int[] Read(string path, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        var file = IdxFile.Read(path, LabelFormat);
        int count = file.Dimensions[0], header = file.HeaderLength;
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int label = file.Bytes[header + i];
            if (label >= classes)
                throw new InvalidInputException($"label file '{path}': label {label} at index {i} is not a class index; expected 0..{classes - 1}");
            labels[i] = label;
        }
        return labels;
    }
}
