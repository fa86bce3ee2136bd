namespace Ompq.Runtime.Training;

/// <summary>The first <c>count</c> images of a labelled set (quick evaluations).</summary>
public sealed class LabelledSubset : ILabelledImages
{
    private readonly ILabelledImages _source;

    private LabelledSubset(ILabelledImages source, int count)
    {
        _source = source;
        Count = count;
    }

    public static ILabelledImages First(ILabelledImages source, int count)
    {
        if (count < 1) throw new InvalidInputException($"an image limit must be >= 1, got {count}");
        return count >= source.Count ? source : new LabelledSubset(source, count);
    }

    public string Name => $"{_source.Name} (first {Count})";
    public int Count { get; }
    public int Classes => _source.Classes;
    public (int Channels, int Height, int Width) ImageShape => _source.ImageShape;

    public void Read(ReadOnlySpan<int> indices, Span<float> images, Span<int> labels)
    {
        foreach (int i in indices)
            if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), $"image {i} is outside the first {Count}");
        _source.Read(indices, images, labels);
    }
}
