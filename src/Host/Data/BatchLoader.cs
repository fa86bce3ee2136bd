using Ompq.Runtime;
using Ompq.Runtime.Io;

namespace Ompq.Host.Data;

/// <summary>
/// Builds the one search batch from --data: "synthetic" (seeded uniform pixels), "fashion-mnist", "mnist", an IDX
/// image file, or a folder of PNG/JPEG/BMP images. Grey 28×28 data is resized bilinearly to the model's input
/// size and, for 3-channel models, replicated into R, G and B. Folder images are resized (shorter side) and
/// centre-cropped; RGB images become grey for 1-channel models (luma 0.299/0.587/0.114).
/// </summary>
public static class BatchLoader
{
    /// <param name="SizeOrigin">Where <paramref name="Size"/> came from, for messages: the option, or the model that declares it.</param>
    /// <param name="Limits">What the data files may ask for; <see cref="ResourceLimits.Default"/> when null.</param>
    public sealed record Request(string Data, string? DataDir, int Count, int Channels, int Size, int Seed, Preprocessing Preprocess,
        string SizeOrigin = "--input-size", ResourceLimits? Limits = null)
    {
        public ResourceLimits EffectiveLimits => Limits ?? ResourceLimits.Default;
    }

    public const int MinImages = 2, MaxImages = 4096;
    public const int MinInputSize = 8, MaxInputSize = 1024;

    /// <summary>The limits on --images and --input-size, checked before a model is built (and again by <see cref="Load"/>).</summary>
    public static void CheckCounts(int images, int? inputSize)
    {
        if (images < MinImages || images > MaxImages)
            throw new InvalidInputException($"--images {images} is invalid: expected {MinImages}..{MaxImages} (the ORM needs at least {MinImages} images)");
        if (inputSize is { } s && (s < MinInputSize || s > MaxInputSize))
            throw new InvalidInputException($"--input-size {s} is invalid: expected {MinInputSize}..{MaxInputSize} pixels");
    }

    public static ImageBatch Load(Request r)
    {
        CheckCounts(r.Count, null);
        if (r.Size < MinInputSize || r.Size > MaxInputSize)
            throw new InvalidInputException($"{r.SizeOrigin} {r.Size} is invalid: expected {MinInputSize}..{MaxInputSize} pixels");
        r.EffectiveLimits.CheckProduct(ResourceLimits.TensorElements, [r.Count, r.Channels, r.Size, r.Size], $"--images {r.Count}: input batch {r.Count}×{r.Channels}×{r.Size}×{r.Size}");
        ImageBatch batch = r.Data switch
        {
            "synthetic" => Synthetic(r),
            "fashion-mnist" => FromIdx(r, IdxDataSet.FashionMnist.FindImages(DataSplit.Test, r.DataDir), Normalization.FashionMnist, "Fashion-MNIST"),
            "mnist" => FromIdx(r, IdxDataSet.Mnist.FindImages(DataSplit.Test, r.DataDir), Normalization.Mnist, "MNIST"),
            _ when Directory.Exists(r.Data) => FromFolder(r),
            _ when File.Exists(r.Data) => FromIdx(r, r.Data, Normalization.Centered, Path.GetFileName(r.Data)),
            _ => throw new InvalidInputException(
                $"--data '{r.Data}' is neither a dataset name (synthetic, fashion-mnist, mnist) nor an existing image folder or IDX file"),
        };
        batch.RequireFinite($"--data {r.Data}");
        return batch;
    }

    private static Normalization ForChannels(Request r, Normalization gray) => PreprocessingOption.For(r.Preprocess, r.Channels, gray);

    private static ImageBatch Synthetic(Request r)
    {
        var rng = new Random(r.Seed);
        int plane = r.Size * r.Size, perImage = r.Channels * plane;
        var pixels = new float[(long)r.Count * perImage];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (float)rng.NextDouble();
        var norm = ForChannels(r, Normalization.Centered);
        for (int n = 0; n < r.Count; n++) norm.Apply(pixels.AsSpan(n * perImage, perImage), r.Channels, plane);
        return new ImageBatch(pixels, r.Count, r.Channels, r.Size, r.Size,
            $"{r.Count} synthetic images (uniform pixels, seed {r.Seed}), {r.Channels}×{r.Size}×{r.Size}, {norm.Name}");
    }

    private static ImageBatch FromIdx(Request r, string path, Normalization gray, string label)
    {
        var images = IdxImages.Read(path, r.EffectiveLimits);
        if (images.Count < r.Count)
            throw new InvalidInputException($"'{path}' holds {images.Count} images, --images {r.Count} requested");
        // A seeded draw without replacement (partial Fisher–Yates), so --seed picks the batch reproducibly.
        var rng = new Random(r.Seed);
        var index = Enumerable.Range(0, images.Count).ToArray();
        for (int i = 0; i < r.Count; i++)
        {
            int j = i + rng.Next(images.Count - i);
            (index[i], index[j]) = (index[j], index[i]);
        }

        var norm = ForChannels(r, gray);
        int srcPlane = images.Rows * images.Columns, plane = r.Size * r.Size, perImage = r.Channels * plane;
        var pixels = new float[(long)r.Count * perImage];
        var source = new float[srcPlane];
        for (int n = 0; n < r.Count; n++)
        {
            var image = pixels.AsSpan(n * perImage, perImage);
            if (images.Rows == r.Size && images.Columns == r.Size) images.CopyImage(index[n], image);
            else
            {
                images.CopyImage(index[n], source);
                Resampler.Resize(source, images.Rows, images.Columns, image.Slice(0, plane), r.Size, r.Size);
            }
            for (int c = 1; c < r.Channels; c++) image.Slice(0, plane).CopyTo(image.Slice(c * plane, plane));
            norm.Apply(image, r.Channels, plane);
        }
        string how = images.Rows == r.Size && images.Columns == r.Size ? "" : $" resized bilinearly from {images.Rows}×{images.Columns}";
        string replicated = r.Channels > 1 ? $", grey replicated to {r.Channels} channels" : "";
        return new ImageBatch(pixels, r.Count, r.Channels, r.Size, r.Size,
            $"{r.Count} {label} images drawn with seed {r.Seed} from {path}{how}{replicated}, {norm.Name}");
    }

    private static ImageBatch FromFolder(Request r)
    {
        string[] files = Directory.EnumerateFiles(r.Data)
            .Where(ImageFile.HasImageExtension)
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (files.Length < r.Count)
            throw new InvalidInputException($"image folder '{r.Data}' has {files.Length} PNG/JPEG/BMP images, --images {r.Count} requested");

        var norm = ForChannels(r, Normalization.Centered);
        int plane = r.Size * r.Size, perImage = r.Channels * plane;
        var pixels = new float[(long)r.Count * perImage];
        for (int n = 0; n < r.Count; n++)
        {
            var (planeRgb, h, w) = ImageFile.DecodeRgb(files[n], r.EffectiveLimits);
            var image = pixels.AsSpan(n * perImage, perImage);
            if (r.Channels == 3)
            {
                for (int c = 0; c < 3; c++)
                    Resampler.ResizeShorterSideAndCentreCrop(planeRgb[c], h, w, image.Slice(c * plane, plane), r.Size);
            }
            else
            {
                var grey = new float[h * w];
                for (int i = 0; i < h * w; i++) grey[i] = 0.299f * planeRgb[0][i] + 0.587f * planeRgb[1][i] + 0.114f * planeRgb[2][i];
                Resampler.ResizeShorterSideAndCentreCrop(grey, h, w, image.Slice(0, plane), r.Size);
                for (int c = 1; c < r.Channels; c++) image.Slice(0, plane).CopyTo(image.Slice(c * plane, plane));
            }
            norm.Apply(image, r.Channels, plane);
        }
        return new ImageBatch(pixels, r.Count, r.Channels, r.Size, r.Size,
            $"first {r.Count} images (by name) of {r.Data}, shorter side resized to {r.Size} and centre-cropped, {norm.Name}");
    }
}
