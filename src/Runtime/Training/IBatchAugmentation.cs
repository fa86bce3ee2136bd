namespace Ompq.Runtime.Training;

/// <summary>Changes a host batch of normalized C×H×W images in place, driven only by <paramref name="random"/> (so resumed runs repeat it).</summary>
public interface IBatchAugmentation
{
    void Apply(Span<float> images, int count, (int Channels, int Height, int Width) shape, Random random);
}
