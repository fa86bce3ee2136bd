using System.Xml.Linq;
using SkiaSharp;
using StbImageSharp;

namespace Ompq.Tests.Cli;

/// <summary>Reads the pictures the CLI writes with a decoder other than the one that drew them.</summary>
internal static class PngChecks
{
    public sealed record Png(int Width, int Height, int DistinctColours);

    public static Png Decode(byte[] bytes)
    {
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        var image = ImageResult.FromMemory(bytes, ColorComponents.RedGreenBlue);
        var colours = new HashSet<int>();
        for (int p = 0; p < image.Data.Length; p += 3) colours.Add(image.Data[p] << 16 | image.Data[p + 1] << 8 | image.Data[p + 2]);
        return new Png(image.Width, image.Height, colours.Count);
    }

    /// <summary>The SVG parses as XML with a positive size; returns its text elements' contents (empty where no font is installed).</summary>
    public static IReadOnlyList<string> SvgTexts(byte[] bytes)
    {
        var svg = XDocument.Parse(System.Text.Encoding.UTF8.GetString(bytes)).Root!;
        Assert.Equal("svg", svg.Name.LocalName);
        Assert.True(double.Parse((string)svg.Attribute("width")!, System.Globalization.CultureInfo.InvariantCulture) > 50);
        return svg.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value).ToArray();
    }

    /// <summary>Whether this machine has a font, i.e. whether plots can carry text.</summary>
    public static bool FontsInstalled => SKFontManager.Default.FontFamilyCount > 0;
}

/// <summary>Image fixtures for the data-loading tests: filled rectangles on a background, encoded as PNG by SkiaSharp.</summary>
internal sealed class TestImage(int width, int height, (byte R, byte G, byte B) background) : IDisposable
{
    private readonly SKBitmap _bitmap = Filled(width, height, background);

    public void FillRect(int x, int y, int w, int h, (byte R, byte G, byte B) colour)
    {
        using var canvas = new SKCanvas(_bitmap);
        using var paint = new SKPaint { Color = new SKColor(colour.R, colour.G, colour.B), IsAntialias = false };
        canvas.DrawRect(x, y, w, h, paint);
    }

    public byte[] EncodePng()
    {
        using var data = _bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    public void Dispose() => _bitmap.Dispose();

    private static SKBitmap Filled(int width, int height, (byte R, byte G, byte B) colour)
    {
        var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        bitmap.Erase(new SKColor(colour.R, colour.G, colour.B));
        return bitmap;
    }
}
