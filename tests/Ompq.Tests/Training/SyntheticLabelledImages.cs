using Ompq.Runtime.Training;

namespace Ompq.Tests.Training;

/// <summary>
/// A small learnable labelled set for trainer tests: each class has its own bright square position over noise,
/// so a few steps of training visibly lower the loss.
/// </summary>
internal sealed class SyntheticLabelledImages : ILabelledImages
{
    private readonly float[] _images;
    private readonly int[] _labels;

    public SyntheticLabelledImages(int count, int classes, int size, int seed)
    {
        Count = count;
        Classes = classes;
        ImageShape = (1, size, size);
        var rng = new Random(seed);
        _images = new float[count * size * size];
        _labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int label = rng.Next(classes);
            _labels[i] = label;
            var image = _images.AsSpan(i * size * size, size * size);
            for (int p = 0; p < image.Length; p++) image[p] = (float)(rng.NextDouble() - 0.5);
            int row = label * size / classes, half = Math.Max(1, size / 4);
            for (int y = row; y < Math.Min(size, row + half); y++)
                for (int x = 0; x < half; x++) image[y * size + x] += 2f;
        }
    }

    public string Name => "synthetic squares";
    public int Count { get; }
    public int Classes { get; }
    public (int Channels, int Height, int Width) ImageShape { get; }

    public void Read(ReadOnlySpan<int> indices, Span<float> images, Span<int> labels)
    {
        int per = ImageShape.Height * ImageShape.Width;
        for (int i = 0; i < indices.Length; i++)
        {
            _images.AsSpan(indices[i] * per, per).CopyTo(images.Slice(i * per, per));
            labels[i] = _labels[indices[i]];
        }
    }
}
