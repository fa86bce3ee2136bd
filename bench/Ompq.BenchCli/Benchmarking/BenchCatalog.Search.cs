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
    public const string SearchModel = "resnet18";
    public const int SearchInputSize = 224;

    /// <summary>Both sides build the model from this seed, so their weights are the same floats.</summary>
    public const int SearchModelSeed = 0;

    /// <summary>
    /// ORM entries are ratios of Frobenius products of Grams; fp32 forwards whose conv sums run in different
    /// orders move them by far less than 1e-3 (the ORM's largest value is 1).
    /// </summary>
    private static OutputCheck OrmCheck => OutputCheck.RelativeToMax(1e-3);

    public static BenchCase SearchFeaturesOfResNet18()
    {
        const int n = Batch, size = SearchInputSize;
        var (flops, units) = SearchWork.Value;
        return new BenchCase("search-features", $"{SearchModel} {size}x{size} {n} images {units} units", "ompq", flops,
            4.0 * n * 3 * size * size,
            [BenchInput.Uniform(n, 3, size, size)],
            (kernels, inputs) => new OursSearchFeaturesRunner(kernels, inputs, ModelZoo.Create(SearchModel, size, SearchModelSeed)),
            inputs => new LibtorchSearchFeaturesRunner(inputs, ModelZoo.Create(SearchModel, size, SearchModelSeed)),
            OrmCheck)
        {
            // About a second per run on each side: one run per slice, and the comparison run warms up too.
            MinRunsPerSlice = 1,
            Warmups = 1,
        };
    }

    /// <summary>FLOPs of the phase (2 per MAC of every conv and linear for the batch, plus the 16 Grams as full products) and the unit count.</summary>
    private static readonly Lazy<(double Flops, int Units)> SearchWork = new(() =>
    {
        using GraphModel model = ModelZoo.Create(SearchModel, SearchInputSize, SearchModelSeed);
        var units = model.Units(SearchMode.Qat);
        double macs = units.Sum(u => (double)u.Macs) + model.Fixed(SearchMode.Qat).Macs;
        double grams = units.Sum(u => 2.0 * Batch * Batch * u.FeatureSize);
        return (2.0 * Batch * macs + grams, units.Count);
    });
}
