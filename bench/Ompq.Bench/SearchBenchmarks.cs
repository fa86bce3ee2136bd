using BenchmarkDotNet.Attributes;
using Ompq.Kernels;
using Ompq.Kernels.Cpu;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Search;
using Ompq.Runtime.Tensors;
using TorchSharp;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Ompq.Bench;

/// <summary>
/// The whole OMPQ search for ResNet-18 (QAT units) at 224² with 32 seeded images on the CPU backend, and its
/// phases separately: the forward pass with features reduced to Gram matrices as they appear (Features), the
/// ORM from stored features on our kernels (OrmOurs) beside the same computation in libtorch (OrmLibtorch:
/// matmul Grams, centring, Frobenius products), and importance + exact allocation (Solve).
/// </summary>
public class SearchBenchmarks
{
    private const int Images = 32;
    private const int InputSize = 224;
    private static readonly SearchOptions Options = new(SearchMode.Qat, 6.7, 10.0, BitRange.Default(SearchMode.Qat));

    private CpuKernels? _kernels;
    private IQuantizableModel? _model;
    private Tensor? _batch;
    private IReadOnlyList<QuantUnit> _units = [];
    private readonly List<Tensor> _storedFeatures = [];
    private readonly List<TorchTensor> _torchFeatures = [];
    private double[,] _orm = new double[0, 0];

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(Environment.ProcessorCount);
        _kernels = new CpuKernels(Environment.ProcessorCount);
        _model = ModelZoo.Create("resnet18", InputSize, seed: 0);
        _units = _model.Units(SearchMode.Qat);
        var rng = new Random(0);
        var pixels = new float[Images * 3 * InputSize * InputSize];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (float)(rng.NextDouble() * 2 - 1);
        _batch = Tensor.FromHost(_kernels, pixels, Images, 3, InputSize, InputSize);

        using var output = _model.Forward(_batch, SearchMode.Qat, (unit, feature) =>
        {
            var copy = Tensor.Allocate(_kernels, Images, (int)_units[unit].FeatureSize);
            _kernels.Copy(feature.Data, copy.Data);
            _storedFeatures.Add(copy);
            _torchFeatures.Add(torch.tensor(feature.ToArray(), [Images, _units[unit].FeatureSize]));
        });
        _orm = OrmOurs();
    }

    [Benchmark(Description = "search total")]
    public SearchResult Total() => OmpqSearch.Run(_model!, _batch!, Options);

    [Benchmark(Description = "features (forward + Gram)")]
    public void Features()
    {
        using var orm = new OrthogonalityMatrix(_kernels!, _units.Select(u => u.Name).ToArray(), Images);
        FeatureCapture.Run(_model!, _batch!, SearchMode.Qat, orm);
    }

    [Benchmark(Description = "forward only")]
    public void ForwardOnly()
    {
        using var output = _model!.Forward(_batch!, SearchMode.Qat);
        _kernels!.Synchronize();
    }

    [Benchmark(Description = "ORM from features, ours")]
    public double[,] OrmOurs()
    {
        using var orm = new OrthogonalityMatrix(_kernels!, _units.Select(u => u.Name).ToArray(), Images);
        for (int i = 0; i < _storedFeatures.Count; i++) orm.Add(i, _storedFeatures[i]);
        return orm.Compute();
    }

    [Benchmark(Description = "ORM from features, libtorch")]
    public double[,] OrmLibtorch()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var centred = new List<TorchTensor>(_torchFeatures.Count);
        foreach (var x in _torchFeatures)
        {
            var k = torch.matmul(x, x.t());
            k = k - k.mean([0], keepdim: true) - k.mean([1], keepdim: true) + k.mean();
            centred.Add(k.flatten());
        }
        var stacked = torch.stack(centred);
        var products = torch.matmul(stacked, stacked.t()).to(torch.float64);
        var norms = products.diagonal().sqrt();
        var orm = products / torch.outer(norms, norms);
        var host = orm.data<double>().ToArray();
        int l = _torchFeatures.Count;
        var result = new double[l, l];
        for (int i = 0; i < l; i++)
            for (int j = 0; j < l; j++) result[i, j] = host[i * l + j];
        return result;
    }

    [Benchmark(Description = "solve (importance + LP + integer)")]
    public IntegerAllocationResultHolder Solve()
    {
        var costs = new CostModel(_units, _model!.Fixed(SearchMode.Qat), Options.ActivationBits);
        var importance = LayerImportance.FromOrm(_orm, Options.Beta, Options.Coefficients);
        var problem = AllocationProblem.Build(costs, importance.Coefficients, Options.Bits, Options.SizeBudgetMiB, Options.BitOpsBudgetG);
        return new(ContinuousAllocation.Solve(problem), IntegerAllocation.Solve(problem));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var t in _storedFeatures) t.Dispose();
        foreach (var t in _torchFeatures) t.Dispose();
        _batch?.Dispose();
        _model?.Dispose();
        _kernels?.Dispose();
    }

    /// <summary>Keeps both solutions alive so the benchmark's result is consumed.</summary>
    public sealed record IntegerAllocationResultHolder(object Continuous, object Integer);
}
