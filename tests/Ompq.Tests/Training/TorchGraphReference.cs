using Ompq.Host.Benchmarking;
using Ompq.Runtime.Nn.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace Ompq.Tests.Training;

/// <summary>
/// A whole training step of one of our <see cref="ModelGraph"/>s in TorchSharp with autograd (the graph interpreted by
/// <see cref="TorchGraphNetwork"/>): the reference for logits, loss, every parameter's gradient and the
/// running-statistics update.
/// </summary>
internal sealed class TorchGraphReference : IDisposable
{
    private readonly DisposeScope _scope = torch.NewDisposeScope();
    private readonly TorchGraphNetwork _network;

    public TorchGraphReference(GraphModel model) => _network = new TorchGraphNetwork(model);

    /// <summary>Forward in training mode, cross-entropy with mean reduction, backward. Returns logits and loss.</summary>
    public (float[] Logits, float Loss) Step(float[] images, long[] shape, long[] labels)
    {
        var logits = _network.Forward(torch.tensor(images, shape));
        var loss = nn.functional.cross_entropy(logits, torch.tensor(labels));
        loss.backward();
        return (logits.detach().data<float>().ToArray(), loss.item<float>());
    }

    public float[] Gradient(string name) => _network.Tensors[name].grad!.data<float>().ToArray();
    public float[] Value(string name) => _network.Tensors[name].detach().data<float>().ToArray();

    public void Dispose()
    {
        _network.Dispose();
        _scope.Dispose();
    }
}
