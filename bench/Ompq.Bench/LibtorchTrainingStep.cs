using Ompq.Benchmarking;
using Ompq.Runtime.Nn.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace Ompq.Bench;

/// <summary>
/// The same training step in libtorch: our graph run functionally with autograd (<see cref="TorchGraphNetwork"/>, a copy
/// of the model's initial weights), cross-entropy, backward, torch.optim.SGD with the same hyper-parameters.
/// </summary>
public sealed class LibtorchTrainingStep : IDisposable
{
    private readonly TorchGraphNetwork _network;
    private readonly Tensor _images;
    private readonly Tensor _labels;
    private readonly optim.Optimizer _optimizer;
    private float _lastLoss = float.NaN;

    public LibtorchTrainingStep(GraphModel model, float[] images, int[] labels)
    {
        _network = new TorchGraphNetwork(model);
        var (c, h, w) = model.InputShape;
        _images = torch.tensor(images, new long[] { labels.Length, c, h, w });
        _labels = torch.tensor(labels.Select(l => (long)l).ToArray());
        _optimizer = optim.SGD(_network.TrainableParameters, BenchCatalog.SgdLr, momentum: BenchCatalog.SgdMomentum,
            weight_decay: BenchCatalog.SgdWeightDecay);
    }

    public void Run() => Step(readLoss: false);

    /// <summary>Runs a step and returns its loss (one extra host read).</summary>
    public float RunAndReadLoss()
    {
        Step(readLoss: true);
        return _lastLoss;
    }

    private void Step(bool readLoss)
    {
        using var scope = torch.NewDisposeScope();
        _optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(_network.Forward(_images), _labels);
        loss.backward();
        _optimizer.step();
        if (readLoss) _lastLoss = loss.item<float>();
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _labels.Dispose();
        _images.Dispose();
        _network.Dispose();
    }
}
