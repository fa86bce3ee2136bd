using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using TorchSharp;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Ompq.Benchmarking;

/// <summary>
/// libtorch's side of the search-features case: our graph interpreted in TorchSharp (<see cref="TorchGraphNetwork"/>,
/// eval batch-norm, no autograd) on the same images, each of the 16 unit outputs X (captured where our model
/// reports it) reduced to its centred Gram X̄·X̄ᵀ as it appears, as ours does. The compared output is the ORM of those
/// Grams, computed on the host in double precision (not timed).
/// </summary>
public sealed class LibtorchSearchFeaturesRunner : IBenchRunner
{
    private readonly GraphModel _model;
    private readonly TorchGraphNetwork _network;
    private readonly TorchTensor _images;
    private readonly int _units;

    /// <param name="inputs">One input: the images, N×3×H×W.</param>
    /// <param name="model">Its weights are copied into libtorch tensors; owned from here on.</param>
    public LibtorchSearchFeaturesRunner(BenchInputs inputs, GraphModel model)
    {
        _model = model;
        _network = new TorchGraphNetwork(model, batchStatistics: false);
        _images = inputs.Torch(0);
        _units = model.Units(SearchMode.Qat).Count;
    }

    public void Run()
    {
        using var guard = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        CentredGrams();
    }

    public float[][] RunForOutput()
    {
        using var guard = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var grams = CentredGrams().Select(g => g.to_type(torch.ScalarType.Float64).contiguous().data<double>().ToArray()).ToArray();
        return [HostOrm.Flatten(HostOrm.FromGrams(grams, (int)_images.shape[0]))];
    }

    private TorchTensor[] CentredGrams()
    {
        long n = _images.shape[0];
        var grams = new TorchTensor[_units];
        _network.Forward(_images, (value, x) =>
        {
            foreach (int unit in _model.UnitsCapturedAt(SearchMode.Qat, value))
            {
                var rows = x.reshape(n, -1);
                var centred = rows - rows.mean([0], keepdim: true);
                grams[unit] = centred.matmul(centred.t());
            }
        });
        int missing = Array.IndexOf(grams, null);
        if (missing >= 0) throw new InvalidOperationException($"unit {missing} of {_model.Name} was never captured in the libtorch forward");
        return grams;
    }

    public void Dispose()
    {
        _images.Dispose();
        _network.Dispose();
        _model.Dispose();
    }
}
