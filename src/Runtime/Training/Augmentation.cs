namespace Ompq.Runtime.Training;

/// <summary>
/// Applies <see cref="AugmentationOptions"/> in place to a batch of normalized N×C×H×W images.
/// <para>Padding is "black", not zero: images arrive normalized, where a raw 0 would be mid-grey, so the caller passes
/// each channel's normalized value of a black pixel (the source's (0 − mean)/std; Host sets report it).</para>
/// <para>Deterministic: every random choice comes from the <see cref="Random"/> the caller passes, drawn per image in
/// a fixed order (crop row shift, crop column shift, then flip; each only when enabled). A caller that seeds it
/// from (run seed, epoch, batch index) gets bit-identical batches when a run is resumed.</para>
/// </summary>
public static class Augmentation
{
    public static void Apply(Span<float> images, int count, int channels, int height, int width,
        AugmentationOptions options, ReadOnlySpan<float> paddingValues, Random random)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(options.CropPadding);
        int plane = height * width, perImage = channels * plane;
        if (images.Length < (long)count * perImage)
            throw new ArgumentException($"images holds {images.Length} values, {count} images of {channels}×{height}×{width} need {(long)count * perImage}", nameof(images));
        if (options.CropPadding > 0 && paddingValues.Length != channels)
            throw new ArgumentException($"{paddingValues.Length} padding values for {channels} channels", nameof(paddingValues));
        if (options.IsNone) return;

        int pad = options.CropPadding;
        var shifted = new float[plane];
        for (int n = 0; n < count; n++)
        {
            int dy = pad > 0 ? random.Next(2 * pad + 1) - pad : 0;
            int dx = pad > 0 ? random.Next(2 * pad + 1) - pad : 0;
            bool flip = options.HorizontalFlip && random.Next(2) == 1;
            if (dy == 0 && dx == 0 && !flip) continue;
            for (int c = 0; c < channels; c++)
            {
                var image = images.Slice(n * perImage + c * plane, plane);
                Transform(image, shifted, height, width, dy, dx, flip, pad > 0 ? paddingValues[c] : 0f);
                shifted.CopyTo(image);
            }
        }
    }

    /// <summary>
    /// target(y, x) = source(y + dy, x' + dx) with x' = W−1−x when flipped, else x; outside the source is padding.
    /// This is torchvision's RandomCrop(padding=P) with the crop's top-left corner at (P + dy, P + dx) of the padded
    /// image, followed by a flip of the crop.
    /// </summary>
    private static void Transform(ReadOnlySpan<float> source, Span<float> target, int height, int width, int dy, int dx, bool flip, float padding)
    {
        for (int y = 0; y < height; y++)
        {
            int sy = y + dy;
            var row = target.Slice(y * width, width);
            if ((uint)sy >= (uint)height)
            {
                row.Fill(padding);
                continue;
            }
            var sourceRow = source.Slice(sy * width, width);
            for (int x = 0; x < width; x++)
            {
                int sx = (flip ? width - 1 - x : x) + dx;
                row[x] = (uint)sx < (uint)width ? sourceRow[sx] : padding;
            }
        }
    }
}
