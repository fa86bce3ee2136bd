namespace Ompq.Runtime.Training;

/// <summary>The trainer's view of <see cref="Augmentation"/>: fixed options and the source's black-pixel values.</summary>
public sealed class CropFlipAugmentation(AugmentationOptions options, float[] paddingValues) : IBatchAugmentation
{
    /// <returns>null when the options change nothing.</returns>
    public static CropFlipAugmentation? For(TrainingOptions training, float[] paddingValues)
    {
        var options = new AugmentationOptions(training.CropPadding, training.HorizontalFlip);
        return options.IsNone ? null : new CropFlipAugmentation(options, paddingValues);
    }

    public void Apply(Span<float> images, int count, (int Channels, int Height, int Width) shape, Random random)
        => Augmentation.Apply(images, count, shape.Channels, shape.Height, shape.Width, options, paddingValues, random);
}
