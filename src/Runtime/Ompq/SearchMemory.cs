using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Search;

/// <summary>What a search of a given image count is estimated to hold at its peak, and how it runs its forwards.</summary>
/// <param name="Bytes">The estimated peak resident memory of the whole process.</param>
/// <param name="ImagesPerForward">Images in each forward pass: all of them, or a pair of chunks (see <see cref="FeatureCapture"/>).</param>
/// <param name="Parts">The estimate by part (bytes), largest first, for the message that refuses a search.</param>
public sealed record SearchMemoryPlan(int Images, long Bytes, int ImagesPerForward, IReadOnlyList<(string Part, long Bytes)> Parts)
{
    public bool Chunked => ImagesPerForward < Images;
}

/// <summary>
/// Estimates a search's peak memory from the model, the input size and the image count before anything runs, and
/// picks how many images each forward pass takes. The parts: the process itself (runtime, compiled code, thread
/// scratch), the parameters (host copy and the folded device copy), the batch (host pixels and its device copy), the
/// forward's activation pool (replayed by <see cref="ActivationFootprint"/>), and the ORM's state — an n×n centred
/// Gram per Gram-form unit (quadratic in n), the centred n×d features of feature-form units, the centring scratch.
/// Activations and centring scratch grow with the images per forward; when all images at once do not fit, the
/// forward runs on pairs of chunks (eval batch-norm only: each image's features then do not depend on the others).
/// </summary>
public static class SearchMemory
{
    /// <summary>Resident memory of the process before the search allocates (runtime, JIT'd code, libraries), measured on Linux x64.</summary>
    public const long ProcessBytes = 150L << 20;

    public static SearchMemoryPlan Plan(GraphModel model, SearchOptions options, int images, long limitBytes)
    {
        var whole = Estimate(model, options, images, images);
        if (whole.Bytes <= limitBytes || options.BatchNorm == BatchNormMode.Batch) return whole;
        // Halve the chunks until the pair of chunks in one forward fits (or there is nothing left to halve).
        var best = whole;
        for (int perForward = EvenAtMost(images / 2); perForward >= 4; perForward = EvenAtMost(perForward / 2))
        {
            best = Estimate(model, options, images, perForward);
            if (best.Bytes <= limitBytes) return best;
        }
        return best;
    }

    /// <summary>The largest image count in [2, <paramref name="images"/>] whose plan fits <paramref name="limitBytes"/>, or 0 when none does.</summary>
    public static int LargestImagesThatFit(GraphModel model, SearchOptions options, int images, long limitBytes)
    {
        int low = 1, high = images; // Plan(low) fits (or low = 1: nothing fits); Plan(high) does not
        while (high - low > 1)
        {
            int mid = low + (high - low) / 2;
            if (Plan(model, options, mid, limitBytes).Bytes <= limitBytes) low = mid; else high = mid;
        }
        return low >= 2 ? low : 0;
    }

    /// <param name="imagesPerForward">All the images, or an even number: two chunks of half as many.</param>
    public static SearchMemoryPlan Estimate(GraphModel model, SearchOptions options, int images, int imagesPerForward)
    {
        const long f = sizeof(float);
        var (channels, height, width) = model.InputShape;
        int[][] shapes = model.Graph.InferShapes([channels, height, width], model.Parameters);
        long n = images, p = imagesPerForward;
        long imageFloats = (long)channels * height * width;
        long parameterFloats = model.Parameters.Names.Sum(name => model.Parameters[name].Size);
        long activationFloatsPerImage = options.BatchNorm == BatchNormMode.Batch
            ? ActivationFootprint.AllValueFloatsPerImage(shapes)   // the training executor keeps every value for its tape
            : ActivationFootprint.PooledFloatsPerImage(model.Graph, shapes);

        IReadOnlyList<QuantUnit> units = model.Units(options.Mode);
        bool FeatureForm(QuantUnit u) => options.Form == OrmForm.Feature || (options.Form == OrmForm.Auto && u.FeatureSize < n);
        long gramUnits = units.Count(u => !FeatureForm(u));
        long widestGram = units.Where(u => !FeatureForm(u)).Select(u => u.FeatureSize).DefaultIfEmpty(0).Max();
        long featureFloats = units.Where(FeatureForm).Sum(u => 2 * n * u.FeatureSize);
        long widestFeature = units.Where(FeatureForm).Select(u => u.FeatureSize).DefaultIfEmpty(0).Max();

        var parts = new List<(string, long)>
        {
            ("process", ProcessBytes),
            ("parameters", 2 * parameterFloats * f),
            ("images", (2 * n + (p < n ? p : 0)) * imageFloats * f),
            ($"activations of {p} images", p * (activationFloatsPerImage + HostTensor.ElementCount(model.OutputShape)) * f),
            ("Gram matrices", gramUnits * n * n * f),
            ("centring scratch", (p + 1) * widestGram * f),
            ("feature-form features", (featureFloats + widestFeature * widestFeature) * f),
        };
        if (p < n) parts.Add(("column means", units.Where(u => !FeatureForm(u)).Sum(u => u.FeatureSize) * f));
        var ordered = parts.Where(x => x.Item2 > 0).OrderByDescending(x => x.Item2).ToArray();
        return new SearchMemoryPlan(images, ordered.Sum(x => x.Item2), imagesPerForward, ordered);
    }

    private static int EvenAtMost(int value) => Math.Max(0, value - value % 2);
}
