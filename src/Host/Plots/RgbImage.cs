namespace Ompq.Host.Plots;

/// <summary>An 8-bit RGB raster with the few drawing primitives the plots need (filled rectangles, small text).</summary>
public sealed class RgbImage
{
    public RgbImage(int width, int height, (byte R, byte G, byte B) background)
    {
        Width = width;
        Height = height;
        Pixels = new byte[width * height * 3];
        FillRect(0, 0, width, height, background);
    }

    public int Width { get; }
    public int Height { get; }
    public byte[] Pixels { get; }

    public void FillRect(int x, int y, int w, int h, (byte R, byte G, byte B) colour)
    {
        int x0 = Math.Max(0, x), y0 = Math.Max(0, y), x1 = Math.Min(Width, x + w), y1 = Math.Min(Height, y + h);
        for (int yy = y0; yy < y1; yy++)
        for (int xx = x0; xx < x1; xx++)
        {
            int p = (yy * Width + xx) * 3;
            Pixels[p] = colour.R;
            Pixels[p + 1] = colour.G;
            Pixels[p + 2] = colour.B;
        }
    }

    /// <summary>Draws digits (and '.', '/') in a 3×5 pixel font scaled by <paramref name="scale"/>; other characters are skipped.</summary>
    public void DrawText(int x, int y, string text, int scale, (byte R, byte G, byte B) colour)
    {
        foreach (char ch in text)
        {
            if (PixelFont.Glyph(ch) is { } rows)
                for (int r = 0; r < 5; r++)
                for (int c = 0; c < 3; c++)
                    if ((rows[r] >> (2 - c) & 1) == 1) FillRect(x + c * scale, y + r * scale, scale, scale, colour);
            x += 4 * scale;
        }
    }
}

/// <summary>A 3×5 bitmap font for digits, as rows of 3 bits (most significant = leftmost pixel).</summary>
internal static class PixelFont
{
    private static readonly byte[][] Digits =
    [
        [7, 5, 5, 5, 7], [2, 6, 2, 2, 7], [7, 1, 7, 4, 7], [7, 1, 7, 1, 7], [5, 5, 7, 1, 1],
        [7, 4, 7, 1, 7], [7, 4, 7, 5, 7], [7, 1, 1, 1, 1], [7, 5, 7, 5, 7], [7, 5, 7, 1, 7],
    ];

    public static byte[]? Glyph(char ch) => ch switch
    {
        >= '0' and <= '9' => Digits[ch - '0'],
        '.' => [0, 0, 0, 0, 2],
        '/' => [1, 1, 2, 4, 4],
        _ => null,
    };
}
