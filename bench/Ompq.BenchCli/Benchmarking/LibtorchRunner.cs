using TorchSharp;
using static TorchSharp.torch;

namespace Ompq.Benchmarking;

/// <summary>Runs one libtorch op on seeded inputs created once; results are disposed each run so memory does not grow.</summary>
public sealed class LibtorchRunner : IBenchRunner
{
    private readonly Tensor[] _inputs;
    private readonly Func<Tensor[], Tensor> _op;

    /// <param name="prepare">Adjusts the seeded inputs in place once, outside the timing.</param>
    public LibtorchRunner(long[][] shapes, Func<Tensor[], Tensor> op, Action<Tensor[]>? prepare = null, int seed = 1)
    {
        _op = op;
        using var guard = torch.no_grad();
        var gen = new torch.Generator((ulong)seed);
        _inputs = shapes.Select(s => torch.rand(s, generator: gen) * 2 - 1).ToArray();
        prepare?.Invoke(_inputs);
    }

    public void Run()
    {
        using var guard = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        _op(_inputs);
    }

    public void Dispose()
    {
        foreach (var t in _inputs) t.Dispose();
    }
}
