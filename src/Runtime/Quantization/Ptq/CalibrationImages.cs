using Ompq.Runtime.Training;

namespace Ompq.Runtime.Quantization.Ptq;

/// <summary>
/// The unlabelled images post-training quantization calibrates on, in host memory (N×C×H×W, normalized as the model
/// expects): the first <c>count</c> images of a seeded permutation of a set, so another seed draws another subset.
/// </summary>
public sealed class CalibrationImages
{
    public CalibrationImages(float[] data, int count, (int Channels, int Height, int Width) shape)
    {
        long perImage = (long)shape.Channels * shape.Height * shape.Width;
        if (count < 1 || perImage < 1 || data.LongLength != count * perImage)
            throw new ArgumentException($"{data.LongLength} values are not {count} images of {shape.Channels}×{shape.Height}×{shape.Width}");
        Data = data;
        Count = count;
        Shape = shape;
    }

    public float[] Data { get; }
    public int Count { get; }
    public (int Channels, int Height, int Width) Shape { get; }

    /// <summary>Draws <paramref name="count"/> images of <paramref name="set"/> in the order of seed <paramref name="seed"/> (labels are not used).</summary>
    public static CalibrationImages Draw(ILabelledImages set, int count, int seed)
    {
        if (count < 1) throw new InvalidInputException($"calibration needs at least 1 image, got {count}");
        if (count > set.Count) throw new InvalidInputException($"calibration asks for {count} images but {set.Name} holds {set.Count}");
        var (c, h, w) = set.ImageShape;
        int perImage = c * h * w;
        var indices = BatchOrder.Permutation(seed, 0, set.Count).AsSpan(0, count);
        var data = new float[(long)count * perImage];
        const int chunk = 256;
        var labels = new int[chunk];
        for (int start = 0; start < count; start += chunk)
        {
            int n = Math.Min(chunk, count - start);
            set.Read(indices.Slice(start, n), data.AsSpan((int)((long)start * perImage), n * perImage), labels.AsSpan(0, n));
        }
        return new CalibrationImages(data, count, set.ImageShape);
    }
}
