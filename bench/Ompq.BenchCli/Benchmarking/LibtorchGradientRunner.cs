using TorchSharp;
using static TorchSharp.torch;

namespace Ompq.Benchmarking;

/// <summary>
/// Times libtorch's autograd for one op: the gradients of its output with respect to chosen inputs, returned by
/// torch.autograd.grad (not accumulated into .grad, so no extra add is timed). With <c>recordEachRun</c> false the
/// forward is recorded once and only the backward node runs each time (a kernel's backward alone); with true each run
/// records the forward too (an op whose benchmark is forward + backward). The gradients are the compared outputs.
/// </summary>
public sealed class LibtorchGradientRunner : IBenchRunner
{
    private readonly Tensor[] _inputs;
    private readonly Tensor[] _withGradient;
    private readonly Func<Tensor[], Tensor> _forward;
    private readonly bool _recordEachRun;
    private readonly Tensor? _outputGradient;
    private readonly Tensor? _recorded;

    /// <param name="inputs">The case's inputs (copied); the forward receives all of them.</param>
    /// <param name="gradientOf">Indices of the inputs whose gradient is computed (these get requires_grad), in our outputs' order.</param>
    /// <param name="forward">The op; a non-scalar output is back-propagated with input <paramref name="outputGradient"/>.</param>
    /// <param name="outputGradient">Index of the input that is the gradient of a non-scalar output (dy); null for a scalar output.</param>
    public LibtorchGradientRunner(BenchInputs inputs, int[] gradientOf, Func<Tensor[], Tensor> forward, bool recordEachRun,
        int? outputGradient = null)
    {
        _forward = forward;
        _recordEachRun = recordEachRun;
        _inputs = inputs.Torch();
        foreach (int i in gradientOf) _inputs[i].requires_grad_(true);
        _withGradient = gradientOf.Select(i => _inputs[i]).ToArray();
        if (outputGradient is { } g) _outputGradient = _inputs[g];
        if (!_recordEachRun)
        {
            using var scope = torch.NewDisposeScope();
            _recorded = _forward(_inputs).MoveToOuterDisposeScope();
        }
    }

    public void Run()
    {
        using var scope = torch.NewDisposeScope();
        Gradients();
    }

    public float[][] RunForOutput()
    {
        using var scope = torch.NewDisposeScope();
        return Gradients().Select(LibtorchRunner.ToHost).ToArray();
    }

    private IList<Tensor> Gradients()
    {
        var output = _recordEachRun ? _forward(_inputs) : _recorded!;
        Tensor[]? outputGradients = _outputGradient is null ? null : [_outputGradient];
        return torch.autograd.grad([output], _withGradient, outputGradients, retain_graph: !_recordEachRun);
    }

    public void Dispose()
    {
        _recorded?.Dispose();
        foreach (var t in _inputs) t.Dispose();
    }
}
