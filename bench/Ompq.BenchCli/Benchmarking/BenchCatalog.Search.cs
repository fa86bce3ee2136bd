using System.Collections.Concurrent;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;

namespace Ompq.Benchmarking;

/// <summary>
/// The features phase of an OMPQ search as one case: ResNet-18 (QAT units) at 224² on 32 seeded images, the
/// forward pass with the 16 unit outputs reduced to centred Grams as they appear (the library's FeatureCapture and
/// OrthogonalityMatrix, what `ompq search` runs) beside libtorch running the same network with the same weights on
/// the same batch and computing the same 16 centred Grams X̄·X̄ᵀ. The goal row: ours ≥ 0.8× libtorch.
/// </summary>
public static partial class BenchCatalog
{
    /// <summary>Both sides build the model from this seed, so their weights are the same floats.</summary>
    public const int SearchModelSeed = 0;

    /// <summary>
    /// ORM entries are ratios of Frobenius products of Grams; fp32 forwards whose conv sums run in different orders
    /// move them by about 1e-7 (the ORM's largest value is 1), so 1e-4 leaves room for the other kernel paths.
    /// </summary>
    private static OutputCheck OrmCheck => OutputCheck.RelativeToMax(1e-4);

    public static BenchCase SearchFeaturesOfResNet18() => SearchFeatures("resnet18", 224, Batch);

    /// <summary>The features phase for any zoo model, input size and batch (the tests use a small one).</summary>
    public static BenchCase SearchFeatures(string modelName, int inputSize, int images)
    {
        var (flops, units, channels) = SearchWork.GetOrAdd((modelName, inputSize, images), key => MeasureSearchWork(key.Model, key.Size, key.Images));
        return new BenchCase("search-features", $"{modelName} {inputSize}x{inputSize} {images} images {units} units", "ompq", flops,
            4.0 * images * channels * inputSize * inputSize,
            [BenchInput.Uniform(images, channels, inputSize, inputSize)],
            (kernels, inputs) => new OursSearchFeaturesRunner(kernels, inputs, ModelZoo.Create(modelName, inputSize, SearchModelSeed)),
            inputs => new LibtorchSearchFeaturesRunner(inputs, ModelZoo.Create(modelName, inputSize, SearchModelSeed)),
            OrmCheck)
        {
            // About a second per run on each side at ResNet-18's size: one run per slice, and the comparison run warms up too.
            MinRunsPerSlice = 1,
            Warmups = 1,
        };
    }

    private static readonly ConcurrentDictionary<(string Model, int Size, int Images), (double Flops, int Units, int Channels)> SearchWork = new();

    /// <summary>FLOPs of the phase (2 per MAC of every conv and linear for the batch, plus the unit Grams as full products), the unit count and the input channels.</summary>
    private static (double Flops, int Units, int Channels) MeasureSearchWork(string modelName, int inputSize, int images)
    {
        using GraphModel model = ModelZoo.Create(modelName, inputSize, SearchModelSeed);
        var units = model.Units(SearchMode.Qat);
        double macs = units.Sum(u => (double)u.Macs) + model.Fixed(SearchMode.Qat).Macs;
        double grams = units.Sum(u => 2.0 * images * images * u.FeatureSize);
        return (2.0 * images * macs + grams, units.Count, model.InputShape.Channels);
    }
}
