using Ompq.Kernels;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Tensors;

namespace Ompq.Tests.Search;

/// <summary>
/// A stand-in network: unit i's "output" is a seeded random n×d_i matrix built from a shared latent factor plus
/// unit-specific noise, so units overlap by different amounts (a non-trivial ORM). It keeps host copies of what
/// it emitted so tests can recompute the ORM independently.
/// </summary>
internal sealed class FakeFeatureModel(long[] featureSizes, int seed, int? constantUnit = null, int? nanUnit = null) : IQuantizableModel
{
    public string Name => "fake";
    public (int Channels, int Height, int Width) InputShape => (1, 4, 4);
    public List<float[]> Emitted { get; } = [];

    public IReadOnlyList<QuantUnit> Units(SearchMode mode) => featureSizes
        .Select((d, i) => new QuantUnit($"unit{i}", [$"layer{i}"], 1000 * (i + 1) + 17 * i, 50_000 * (i + 2), d,
            mode == SearchMode.Ptq && (i == 0 || i == featureSizes.Length - 1) ? 8 : null))
        .ToArray();

    public FixedLayers Fixed(SearchMode mode) => mode == SearchMode.Qat ? new FixedLayers(["stem", "fc"], 3000, 100_000) : new FixedLayers([], 0, 0);

    public Tensor Forward(Tensor input, SearchMode mode, Action<int, Tensor>? onUnitOutput = null)
    {
        int n = input.Dim(0);
        var rng = new Random(seed);
        var latent = new double[n];
        for (int r = 0; r < n; r++) latent[r] = rng.NextDouble() * 2 - 1;
        Emitted.Clear();
        for (int i = 0; i < featureSizes.Length; i++)
        {
            long d = featureSizes[i];
            var x = new float[n * d];
            double share = (double)(i + 1) / (featureSizes.Length + 1);
            for (int r = 0; r < n; r++)
            for (long c = 0; c < d; c++)
            {
                double v = share * latent[r] * Math.Cos(c + i) + (1 - share) * (rng.NextDouble() * 2 - 1) + 0.7; // positive mean, like ReLU outputs
                x[r * d + c] = i == constantUnit ? 1.5f : i == nanUnit && r == 1 ? float.NaN : (float)v;
            }
            Emitted.Add(x);
            using var t = Tensor.FromHost(input.Kernels, x, n, (int)d);
            onUnitOutput?.Invoke(i, t);
        }
        return Tensor.FromHost(input.Kernels, new float[n], n, 1);
    }

    public void Dispose() { }

    public static Tensor Batch(IKernels kernels, int n) => Tensor.Allocate(kernels, n, 1, 4, 4);
}
