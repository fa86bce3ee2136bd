using Ompq.Runtime.Training;

namespace Ompq.Tests.Training;

/// <summary>Random crop with black padding and horizontal flip: deterministic for a seed, and moving pixels where they should go.</summary>
public sealed class AugmentationTests
{
    private const int Count = 16, Channels = 2, Height = 5, Width = 7;
    private static readonly float[] Padding = [-1f, -2f];

    [Fact]
    public void SameSeedSameBatchOtherSeedOtherBatch()
    {
        var options = new AugmentationOptions(CropPadding: 2, HorizontalFlip: true);
        float[] a = Augmented(options, seed: 3), b = Augmented(options, seed: 3), c = Augmented(options, seed: 4);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.NotEqual(Batch(), a);
    }

    [Fact]
    public void NoPaddingAndNoFlipIsTheIdentity()
    {
        Assert.Equal(Batch(), Augmented(AugmentationOptions.None, seed: 1));
        Assert.Equal(Batch(), Augmented(new AugmentationOptions(CropPadding: 0, HorizontalFlip: false), seed: 1));
        Assert.True(new AugmentationOptions().IsNone);
    }

    [Fact]
    public void FlippingTwiceWithTheSameDrawsIsTheIdentity()
    {
        var options = new AugmentationOptions(HorizontalFlip: true);
        var images = Batch();
        Augmentation.Apply(images, Count, Channels, Height, Width, options, Padding, new Random(9));
        Assert.NotEqual(Batch(), images);
        Augmentation.Apply(images, Count, Channels, Height, Width, options, Padding, new Random(9));
        Assert.Equal(Batch(), images);
    }

    [Fact]
    public void CropShiftsContentAndPadsWithEachChannelsBlack()
    {
        // 1 image, 2 channels of 3×3; find seeds whose draws are the shifts wanted, in the documented draw order.
        float[] image = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19];

        int down = SeedFor(r => r.Next(3) - 1 == 1 && r.Next(3) - 1 == -1);
        var shifted = (float[])image.Clone();
        Augmentation.Apply(shifted, 1, 2, 3, 3, new AugmentationOptions(CropPadding: 1), Padding, new Random(down));
        // out(y, x) = in(y + 1, x − 1): content moves up one row and right one column.
        Assert.Equal([-1, 4, 5, -1, 7, 8, -1, -1, -1, -2, 14, 15, -2, 17, 18, -2, -2, -2], shifted);

        int flipped = SeedFor(r => r.Next(3) - 1 == 0 && r.Next(3) - 1 == 1 && r.Next(2) == 1);
        var both = (float[])image.Clone();
        Augmentation.Apply(both, 1, 2, 3, 3, new AugmentationOptions(CropPadding: 1, HorizontalFlip: true), Padding, new Random(flipped));
        // Crop one column to the right (out(y, x) = in(y, x + 1)), then mirror the crop.
        Assert.Equal([-1, 3, 2, -1, 6, 5, -1, 9, 8, -2, 13, 12, -2, 16, 15, -2, 19, 18], both);
    }

    [Fact]
    public void PaddingValuesMustMatchTheChannels()
    {
        var images = Batch();
        Assert.Throws<ArgumentException>(() =>
            Augmentation.Apply(images, Count, Channels, Height, Width, new AugmentationOptions(CropPadding: 1), [0f], new Random(0)));
    }

    private static int SeedFor(Func<Random, bool> draws)
        => Enumerable.Range(0, 10_000).First(seed => draws(new Random(seed)));

    private static float[] Batch() => Enumerable.Range(0, Count * Channels * Height * Width).Select(i => (float)i).ToArray();

    private static float[] Augmented(AugmentationOptions options, int seed)
    {
        var images = Batch();
        Augmentation.Apply(images, Count, Channels, Height, Width, options, Padding, new Random(seed));
        return images;
    }
}
