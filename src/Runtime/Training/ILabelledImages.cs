namespace Ompq.Runtime.Training;

/// <summary>
/// A labelled image set held or readable by index: what training and evaluation draw batches from. Images come out
/// normalized (the source's own mean/std), C×H×W per image, fp32; labels are class indices in [0, Classes).
/// Implementations must be safe to call from one thread at a time and must give the same values for the same index.
/// </summary>
public interface ILabelledImages
{
    /// <summary>Short description for messages and run metadata (e.g. "fashion-mnist train").</summary>
    string Name { get; }

    int Count { get; }
    int Classes { get; }
    (int Channels, int Height, int Width) ImageShape { get; }

    /// <summary>Writes the images and labels of <paramref name="indices"/> back to back into the spans.</summary>
    void Read(ReadOnlySpan<int> indices, Span<float> images, Span<int> labels);
}
