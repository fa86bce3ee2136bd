using Ompq.Runtime;

namespace Ompq.Host.Data;

/// <summary>
/// Loads an ImageFolder-layout directory (one subfolder per class; class index = position of the subfolder name in
/// ordinal order; images anywhere below it, in ordinal path order) into memory. Each image is decoded, its shorter
/// side resized to the target size and the centre cropped (as the search batch does), then stored as bytes: the
/// set costs 3×size² bytes per image, and the rounding to 1/255 is what saving the resized image would have done.
/// Subfolders whose names start with '.' are not classes (editor and notebook droppings).
/// </summary>
public static class ImageFolderLabelledImages
{
    public const int Channels = 3;

    public static InMemoryLabelledImages Load(string folder, int size, Normalization normalization, string name)
    {
        if (size < 8 || size > 1024) throw new InvalidInputException($"image size {size} is invalid: expected 8..1024 pixels");
        if (!Directory.Exists(folder)) throw new InvalidInputException($"image folder '{folder}' does not exist; expected one subfolder of images per class");

        string[] classFolders = Directory.EnumerateDirectories(folder)
            .Where(d => !Path.GetFileName(d).StartsWith('.'))
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (classFolders.Length == 0)
            throw new InvalidInputException($"image folder '{folder}' has no class subfolders; expected one subfolder of PNG/JPEG/BMP images per class");

        var files = new List<(string Path, int Label)>();
        for (int label = 0; label < classFolders.Length; label++)
        {
            string[] images = Directory.EnumerateFiles(classFolders[label], "*", SearchOption.AllDirectories)
                .Where(ImageFile.HasImageExtension)
                .Order(StringComparer.Ordinal)
                .ToArray();
            if (images.Length == 0)
                throw new InvalidInputException($"class folder '{classFolders[label]}' has no PNG/JPEG/BMP images; expected at least one image per class");
            files.AddRange(images.Select(path => (path, label)));
        }

        int plane = size * size, perImage = Channels * plane;
        long bytes = (long)files.Count * perImage;
        if (bytes > Array.MaxLength)
            throw new InvalidInputException(
                $"image folder '{folder}' holds {files.Count} images, {bytes} bytes at {Channels}×{size}×{size}, more than the {Array.MaxLength} one set may hold; use a smaller image size or fewer images");

        var pixels = new byte[bytes];
        var labels = new int[files.Count];
        var resized = new float[plane];
        for (int n = 0; n < files.Count; n++)
        {
            var (rgb, h, w) = ImageFile.DecodeRgb(files[n].Path);
            for (int c = 0; c < Channels; c++)
            {
                Resampler.ResizeShorterSideAndCentreCrop(rgb[c], h, w, resized, size);
                var target = pixels.AsSpan(n * perImage + c * plane, plane);
                for (int i = 0; i < plane; i++) target[i] = (byte)Math.Clamp(MathF.Round(resized[i] * 255f), 0f, 255f);
            }
            labels[n] = files[n].Label;
        }
        return new InMemoryLabelledImages(name, pixels, (Channels, size, size), labels, classFolders.Length, normalization);
    }
}
