using Ompq.Runtime;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Training;

namespace Ompq.Host.Data;

/// <summary>
/// The labelled batch a loss-based search (the Hessian baseline) differentiates: --images images drawn with --seed,
/// without replacement, from the training split of a labelled set (fashion-mnist, mnist, or an image folder with one
/// subfolder per class), normalised as training normalises them. Unlabelled sources (synthetic images, a bare IDX
/// image file) are refused.
/// </summary>
public static class LabelledSearchBatch
{
    public sealed record Batch(ImageBatch Images, int[] Labels);

    /// <param name="method">The method's name, for the message when the data has no labels.</param>
    public static Batch Load(string data, string? dataDir, int count, GraphModel model, int seed, string method)
    {
        if (data == "synthetic" || (File.Exists(data) && !Directory.Exists(data)))
            throw new InvalidInputException(
                $"--method {method} needs labelled images (fashion-mnist, mnist, or an image folder with one subfolder per class); --data {data} has no labels");
        var (channels, height, width) = model.InputShape;
        ILabelledImages set = LabelledDataSets.Open(data, DataSplit.Train, dataDir, height);
        Evaluator.CheckCompatible(model, set);
        if (set.ImageShape != (channels, height, width))
        {
            var (c, h, w) = set.ImageShape;
            throw new InvalidInputException(
                $"{set.Name} has {c}×{h}×{w} images, model '{model.Name}' takes {channels}×{height}×{width}; expected the model's input size (--input-size)");
        }
        if (set.Count < count) throw new InvalidInputException($"{set.Name} holds {set.Count} images, --images {count} requested");

        // A seeded draw without replacement (partial Fisher–Yates), so --seed picks the batch reproducibly.
        var rng = new Random(seed);
        var index = Enumerable.Range(0, set.Count).ToArray();
        for (int i = 0; i < count; i++)
        {
            int j = i + rng.Next(set.Count - i);
            (index[i], index[j]) = (index[j], index[i]);
        }
        var pixels = new float[(long)count * channels * height * width];
        var labels = new int[count];
        set.Read(index.AsSpan(0, count), pixels, labels);
        var images = new ImageBatch(pixels, count, channels, height, width,
            $"{count} labelled images of {set.Name} drawn with seed {seed}, {channels}×{height}×{width}, normalised as for training");
        images.RequireFinite($"--data {data}");
        return new Batch(images, labels);
    }
}
