using Ompq.Runtime.Training;

namespace Ompq.Host.Data;

/// <summary>
/// A labelled image set held in memory as bytes (0 = black, 255 = full intensity), C×H×W per image, normalized to
/// floats only for the images a <see cref="Read"/> asks for: a 256-entry table per channel holds
/// <see cref="Normalization"/>'s value for every byte, so converting is one lookup per pixel and bit-identical
/// to normalizing byte/255 with <see cref="Data.Normalization.Apply"/>.
/// </summary>
public sealed class InMemoryLabelledImages : ILabelledImages
{
    private readonly ReadOnlyMemory<byte> _pixels;
    private readonly int[] _labels;
    private readonly float[][] _byteToValue;

    public InMemoryLabelledImages(string name, ReadOnlyMemory<byte> pixels, (int Channels, int Height, int Width) shape,
        int[] labels, int classes, Normalization normalization)
    {
        var (channels, height, width) = shape;
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        // Reordering channels (BGR) would need the source channel per output channel; no labelled set uses it.
        if (normalization.Bgr) throw new ArgumentException("BGR normalizations are not supported for labelled sets", nameof(normalization));
        if (pixels.Length != (long)labels.Length * channels * height * width)
            throw new ArgumentException($"{pixels.Length} pixel bytes for {labels.Length} images of {channels}×{height}×{width}");
        foreach (int label in labels)
            if ((uint)label >= (uint)classes) throw new ArgumentException($"label {label} outside 0..{classes - 1}", nameof(labels));

        Name = name;
        _pixels = pixels;
        _labels = labels;
        Classes = classes;
        ImageShape = shape;
        Normalization = normalization;
        _byteToValue = ByteTables(normalization, channels);
        PaddingValues = _byteToValue.Select(table => table[0]).ToArray();
    }

    public string Name { get; }
    public int Count => _labels.Length;
    public int Classes { get; }
    public (int Channels, int Height, int Width) ImageShape { get; }
    public Normalization Normalization { get; }

    /// <summary>
    /// Per channel, the normalized value of a black pixel: what augmentation pads with, so padding looks like the
    /// black border the images would have had, not like mid-grey (a raw 0 is mid-grey after normalization).
    /// </summary>
    public float[] PaddingValues { get; }

    public void Read(ReadOnlySpan<int> indices, Span<float> images, Span<int> labels)
    {
        var (channels, height, width) = ImageShape;
        int plane = height * width, perImage = channels * plane;
        if (images.Length < (long)indices.Length * perImage)
            throw new ArgumentException($"images holds {images.Length} values, {indices.Length} images need {(long)indices.Length * perImage}", nameof(images));
        if (labels.Length < indices.Length)
            throw new ArgumentException($"labels holds {labels.Length} values, {indices.Length} images need as many", nameof(labels));

        var pixels = _pixels.Span;
        for (int n = 0; n < indices.Length; n++)
        {
            int index = indices[n];
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), index, $"{Name} holds {Count} images");
            var source = pixels.Slice(index * perImage, perImage);
            var target = images.Slice(n * perImage, perImage);
            for (int c = 0; c < channels; c++)
            {
                float[] table = _byteToValue[c];
                var sourcePlane = source.Slice(c * plane, plane);
                var targetPlane = target.Slice(c * plane, plane);
                for (int i = 0; i < plane; i++) targetPlane[i] = table[sourcePlane[i]];
            }
            labels[n] = _labels[index];
        }
    }

    /// <summary>Runs every byte value through the normalization itself, so the table cannot drift from it.</summary>
    private static float[][] ByteTables(Normalization normalization, int channels)
    {
        var ramp = new float[channels * 256];
        for (int c = 0; c < channels; c++)
            for (int b = 0; b < 256; b++) ramp[c * 256 + b] = b / 255f;
        normalization.Apply(ramp, channels, 256);
        return Enumerable.Range(0, channels).Select(c => ramp.AsSpan(c * 256, 256).ToArray()).ToArray();
    }
}
