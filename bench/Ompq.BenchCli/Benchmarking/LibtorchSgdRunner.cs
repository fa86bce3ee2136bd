using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ompq.Benchmarking;

/// <summary>
/// Times torch.optim.SGD's step over a set of parameter tensors with fixed gradients, both from the case's inputs
/// (parameters first, then as many gradients). The optimizer starts without momentum buffers, as ours starts with
/// zero ones, so the first step (the compared one) is identical on both sides; the warm-up steps then create the
/// buffers and every timed step is a steady-state one. The compared outputs are the parameters after the step.
/// </summary>
public sealed class LibtorchSgdRunner : IBenchRunner
{
    private readonly List<Parameter> _parameters;
    private readonly optim.Optimizer _optimizer;

    public LibtorchSgdRunner(BenchInputs inputs, int tensors, double lr, double momentum, double weightDecay)
    {
        _parameters = Enumerable.Range(0, tensors).Select(i => new Parameter(inputs.Torch(i), requires_grad: true)).ToList();
        using (var scope = torch.NewDisposeScope())
        {
            // Autograd writes .grad: the gradient of Σ p·g with respect to p is g, exactly.
            for (int i = 0; i < tensors; i++) (_parameters[i] * inputs.Torch(tensors + i)).sum().backward();
        }
        _optimizer = optim.SGD(_parameters, lr, momentum: momentum, weight_decay: weightDecay);
    }

    public void Run()
    {
        using var scope = torch.NewDisposeScope();
        _optimizer.step();
    }

    public float[][] RunForOutput()
    {
        Run();
        using var guard = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        return _parameters.Select(p => LibtorchRunner.ToHost(p)).ToArray();
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        foreach (var p in _parameters) p.Dispose();
    }
}
