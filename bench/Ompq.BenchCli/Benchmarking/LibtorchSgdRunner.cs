using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ompq.Benchmarking;

/// <summary>
/// Times torch.optim.SGD's step over a set of parameter tensors with seeded gradients. One step is taken in the
/// constructor so the momentum buffers exist and every timed step is a steady-state one, as on our side.
/// </summary>
public sealed class LibtorchSgdRunner : IBenchRunner
{
    private readonly List<Parameter> _parameters;
    private readonly optim.Optimizer _optimizer;

    public LibtorchSgdRunner(IEnumerable<long> sizes, double lr, double momentum, double weightDecay, int seed = 1)
    {
        var gen = new torch.Generator((ulong)seed);
        _parameters = sizes.Select(n => new Parameter(torch.rand(n, generator: gen) * 2 - 1, requires_grad: true)).ToList();
        using (var scope = torch.NewDisposeScope())
        {
            // Autograd writes .grad: the gradient of Σ p·g with respect to p is g.
            foreach (var p in _parameters) (p * (torch.rand(p.shape, generator: gen) * 2 - 1)).sum().backward();
        }
        _optimizer = optim.SGD(_parameters, lr, momentum: momentum, weight_decay: weightDecay);
        Run();
    }

    public void Run()
    {
        using var scope = torch.NewDisposeScope();
        _optimizer.step();
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        foreach (var p in _parameters) p.Dispose();
    }
}
