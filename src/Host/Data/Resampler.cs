namespace Ompq.Host.Data;

/// <summary>
/// Bilinear resampling of one channel plane with half-pixel centres (as torch's interpolate with
/// align_corners=false, without antialiasing), and a centre crop after resizing the shorter side.
/// </summary>
public static class Resampler
{
    public static void Resize(ReadOnlySpan<float> source, int srcH, int srcW, Span<float> target, int dstH, int dstW)
    {
        double sy = (double)srcH / dstH, sx = (double)srcW / dstW;
        for (int y = 0; y < dstH; y++)
        {
            double fy = Math.Max(0, (y + 0.5) * sy - 0.5);
            int y0 = Math.Min((int)fy, srcH - 1), y1 = Math.Min(y0 + 1, srcH - 1);
            double wy = fy - y0;
            for (int x = 0; x < dstW; x++)
            {
                double fx = Math.Max(0, (x + 0.5) * sx - 0.5);
                int x0 = Math.Min((int)fx, srcW - 1), x1 = Math.Min(x0 + 1, srcW - 1);
                double wx = fx - x0;
                double top = source[y0 * srcW + x0] * (1 - wx) + source[y0 * srcW + x1] * wx;
                double bottom = source[y1 * srcW + x0] * (1 - wx) + source[y1 * srcW + x1] * wx;
                target[y * dstW + x] = (float)(top * (1 - wy) + bottom * wy);
            }
        }
    }

    /// <summary>Resize so the shorter side is <paramref name="size"/>, then take the centred size×size window.</summary>
    public static void ResizeShorterSideAndCentreCrop(ReadOnlySpan<float> source, int srcH, int srcW, Span<float> target, int size)
    {
        double scale = (double)size / Math.Min(srcH, srcW);
        int h = Math.Max(size, (int)Math.Round(srcH * scale)), w = Math.Max(size, (int)Math.Round(srcW * scale));
        var resized = new float[h * w];
        Resize(source, srcH, srcW, resized, h, w);
        int top = (h - size) / 2, left = (w - size) / 2;
        for (int y = 0; y < size; y++)
            resized.AsSpan((top + y) * w + left, size).CopyTo(target.Slice(y * size, size));
    }
}
