using Ompq.Runtime;
using Ompq.Runtime.Io;
using StbImageSharp;

namespace Ompq.Host.Data;

/// <summary>Decodes one PNG, JPEG or BMP file into red, green and blue planes of values in [0, 1].</summary>
public static class ImageFile
{
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp"];

    public static bool HasImageExtension(string path) => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    public static (float[][] Rgb, int Height, int Width) DecodeRgb(string path, ResourceLimits? limits = null)
    {
        limits ??= ResourceLimits.Default;
        string what = $"image '{path}'";
        byte[] bytes = InputFile.ReadAllBytes(path, limits, what);
        ImageResult decoded;
        try
        {
            // The header's size is checked before decoding: a 20000² PNG is a few hundred KB on disk and gigabytes decoded.
            var info = ImageInfo.FromStream(new MemoryStream(bytes, writable: false));
            if (info is { } header) limits.CheckProduct(ResourceLimits.ImagePixels, [header.Width, header.Height], $"{what}: width×height");
            decoded = ImageResult.FromMemory(bytes, ColorComponents.RedGreenBlue);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not InvalidInputException)
        {
            throw new InvalidInputException($"image '{path}' could not be decoded ({ex.Message}); expected a valid PNG, JPEG or BMP file", ex);
        }
        int h = decoded.Height, w = decoded.Width;
        var rgb = new float[3][];
        for (int c = 0; c < 3; c++)
        {
            rgb[c] = new float[h * w];
            for (int i = 0; i < h * w; i++) rgb[c][i] = decoded.Data[i * 3 + c] / 255f;
        }
        return (rgb, h, w);
    }
}
