using Ompq.Runtime.Training;

namespace Ompq.Host.Data;

/// <summary>
/// Seeded standard-normal images of a given shape, unlabelled (labels 0): calibration and benchmark input where no
/// dataset is at hand (an ONNX model's normalized input has about this spread).
/// </summary>
public sealed class SyntheticImages(int count, (int Channels, int Height, int Width) shape, int seed = 0) : ILabelledImages
{
    public string Name => "synthetic normal images";
    public int Count => count;
    public int Classes => 1;
    public (int Channels, int Height, int Width) ImageShape => shape;

    public void Read(ReadOnlySpan<int> indices, Span<float> images, Span<int> labels)
    {
        int size = shape.Channels * shape.Height * shape.Width;
        for (int i = 0; i < indices.Length; i++)
        {
            var rng = new Random(seed * 1_000_003 + indices[i]);
            var image = images.Slice(i * size, size);
            for (int j = 0; j < size; j++)
            {
                // Box–Muller from two uniforms in (0, 1].
                double u = 1.0 - rng.NextDouble(), v = rng.NextDouble();
                image[j] = (float)(Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
            }
            labels[i] = 0;
        }
    }
}
