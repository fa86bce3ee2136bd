using Ompq.Benchmarking;
using Ompq.Runtime.Nn.Graph;
using TorchSharp;
using Ompq.Tests.Reference;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Ompq.Tests.Training;

/// <summary>
/// A whole training step of one of our <see cref="ModelGraph"/>s in TorchSharp with autograd (the graph interpreted by
/// <see cref="TorchGraphNetwork"/>): the reference for logits, loss, every parameter's gradient and the
/// running-statistics update. With weight bit-widths, those layers compute with a straight-through fake-quantized
/// weight, w + (q(w) − w).detach(), q as <see cref="FakeQuantReference.WeightsPerChannel"/> (symmetric per output
/// channel, half-to-even rounding after a division, as our kernel). Its gradient is the identity; the kernel's STE
/// masks where the clamp binds, which never happens with scale = max|w|/qmax, so both agree.
/// </summary>
internal sealed class TorchGraphReference : IDisposable
{
    private readonly DisposeScope _scope = torch.NewDisposeScope();
    private readonly TorchGraphNetwork _network;

    public TorchGraphReference(GraphModel model, IReadOnlyDictionary<string, int>? weightBits = null)
        => _network = new TorchGraphNetwork(model, weightBits is null ? null : (layer, w) => FakeQuantized(layer, w, weightBits));

    private static TorchTensor FakeQuantized(WeightLayerNode layer, TorchTensor w, IReadOnlyDictionary<string, int> weightBits)
    {
        if (!weightBits.TryGetValue(layer.Name, out int bits)) return w;
        var (quantized, scales) = FakeQuantReference.WeightsPerChannel(w.reshape(w.shape[0], -1), bits);
        scales.Dispose();
        var delta = (quantized.reshape(w.shape) - w).detach();
        return w + delta;
    }

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
