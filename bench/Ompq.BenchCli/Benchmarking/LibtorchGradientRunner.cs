using TorchSharp;
using static TorchSharp.torch;

namespace Ompq.Benchmarking;

/// <summary>
/// Times libtorch's autograd for one op: the gradients of its output with respect to chosen inputs, returned by
/// torch.autograd.grad (not accumulated into .grad, so no extra add is timed). With <c>recordEachRun</c> false the
/// forward is recorded once and only the backward node runs each time (a kernel's backward alone); with true each run
/// records the forward too (an op whose benchmark is forward + backward). Inputs are seeded uniform in [−1, 1].
/// </summary>
public sealed class LibtorchGradientRunner : IBenchRunner
{
    private readonly Tensor[] _inputs;
    private readonly Tensor[] _withGradient;
    private readonly Func<Tensor[], Tensor> _forward;
    private readonly bool _recordEachRun;
    private readonly Tensor? _outputGradient;
    private readonly Tensor? _recorded;

    /// <param name="shapes">Shapes of the seeded inputs.</param>
    /// <param name="gradientOf">Indices of the inputs whose gradient is computed (these get requires_grad).</param>
    /// <param name="forward">The op; a non-scalar output is back-propagated with a seeded output gradient.</param>
    /// <param name="prepare">Adjusts the seeded inputs in place once, before requires_grad is set.</param>
    public LibtorchGradientRunner(long[][] shapes, int[] gradientOf, Func<Tensor[], Tensor> forward, bool recordEachRun,
        Action<Tensor[]>? prepare = null, int seed = 1)
    {
        _forward = forward;
        _recordEachRun = recordEachRun;
        var gen = new torch.Generator((ulong)seed);
        using (torch.no_grad())
        {
            _inputs = shapes.Select(s => torch.rand(s, generator: gen) * 2 - 1).ToArray();
            prepare?.Invoke(_inputs);
        }
        foreach (int i in gradientOf) _inputs[i].requires_grad_(true);
        _withGradient = gradientOf.Select(i => _inputs[i]).ToArray();

        using (var scope = torch.NewDisposeScope())
        {
            var output = _forward(_inputs);
            if (output.numel() > 1) _outputGradient = (torch.rand(output.shape, generator: gen) * 2 - 1).MoveToOuterDisposeScope();
            if (!_recordEachRun) _recorded = output.MoveToOuterDisposeScope();
        }
    }

    public void Run()
    {
        using var scope = torch.NewDisposeScope();
        var output = _recordEachRun ? _forward(_inputs) : _recorded!;
        Tensor[]? outputGradients = _outputGradient is null ? null : [_outputGradient];
        torch.autograd.grad([output], _withGradient, outputGradients, retain_graph: !_recordEachRun);
    }

    public void Dispose()
    {
        _recorded?.Dispose();
        _outputGradient?.Dispose();
        foreach (var t in _inputs) t.Dispose();
    }
}
