namespace Ompq.Runtime.Training;

/// <summary>
/// Training-time augmentation: a random crop after zero-padding each side by <paramref name="CropPadding"/> pixels
/// (a shift of up to ±CropPadding in each direction), and a horizontal flip with probability ½.
/// The default, <see cref="None"/>, leaves images untouched.
/// </summary>
public sealed record AugmentationOptions(int CropPadding = 0, bool HorizontalFlip = false)
{
    public static readonly AugmentationOptions None = new();

    public bool IsNone => CropPadding == 0 && !HorizontalFlip;
}
