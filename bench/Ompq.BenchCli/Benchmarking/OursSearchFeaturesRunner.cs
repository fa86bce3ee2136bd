using Ompq.Kernels;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Search;
using Ompq.Runtime.Tensors;

namespace Ompq.Benchmarking;

/// <summary>
/// Our side of the search-features case: <see cref="FeatureCapture"/> into a fresh <see cref="OrthogonalityMatrix"/>
/// per run, as `ompq search` does (eval batch-norm, the whole batch in one forward). The compared output is the ORM
/// computed from those Grams (not timed: it is the search's next phase).
/// </summary>
public sealed class OursSearchFeaturesRunner : IBenchRunner
{
    private readonly IKernels _kernels;
    private readonly GraphModel _model;
    private readonly Tensor _batch;
    private readonly string[] _unitNames;

    /// <param name="inputs">One input: the images, N×3×H×W.</param>
    /// <param name="model">Owned from here on.</param>
    public OursSearchFeaturesRunner(IKernels kernels, BenchInputs inputs, GraphModel model)
    {
        _kernels = kernels;
        _model = model;
        _unitNames = model.Units(SearchMode.Qat).Select(u => u.Name).ToArray();
        var shape = inputs.Shape(0);
        _batch = Tensor.FromHost(kernels, inputs[0], (int)shape[0], (int)shape[1], (int)shape[2], (int)shape[3]);
    }

    public void Run()
    {
        using var orm = Capture();
    }

    public float[][] RunForOutput()
    {
        using var orm = Capture();
        return [HostOrm.Flatten(orm.Compute())];
    }

    private OrthogonalityMatrix Capture()
    {
        var orm = new OrthogonalityMatrix(_kernels, _unitNames, _batch.Dim(0));
        try
        {
            FeatureCapture.Run(_model, _batch, SearchMode.Qat, orm);
            return orm;
        }
        catch
        {
            orm.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _batch.Dispose();
        _model.Dispose();
    }
}
