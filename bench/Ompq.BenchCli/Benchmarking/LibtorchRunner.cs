using TorchSharp;
using static TorchSharp.torch;

namespace Ompq.Benchmarking;

/// <summary>Runs one libtorch op on tensors copied once from the case's inputs; results are disposed each run so memory does not grow.</summary>
public sealed class LibtorchRunner : IBenchRunner
{
    private readonly Tensor[] _inputs;
    private readonly Func<Tensor[], Tensor[]> _op;

    /// <param name="op">The op on the inputs (in the case's order); its result is the compared output.</param>
    public LibtorchRunner(BenchInputs inputs, Func<Tensor[], Tensor> op) : this(inputs, t => new[] { op(t) })
    {
    }

    /// <param name="op">The op on the inputs; its results are the compared outputs, in our runner's order.</param>
    public LibtorchRunner(BenchInputs inputs, Func<Tensor[], Tensor[]> op)
    {
        _op = op;
        _inputs = inputs.Torch();
    }

    public void Run()
    {
        using var guard = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        _op(_inputs);
    }

    public float[][] RunForOutput()
    {
        using var guard = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        return _op(_inputs).Select(ToHost).ToArray();
    }

    /// <summary>A tensor's values as fp32 host floats in row-major order.</summary>
    public static float[] ToHost(Tensor t) => t.contiguous().to_type(ScalarType.Float32).data<float>().ToArray();

    public void Dispose()
    {
        foreach (var t in _inputs) t.Dispose();
    }
}
