using Ompq.Benchmarking;
using Ompq.Kernels;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Tensors;
using Ompq.Runtime.Training;

namespace Ompq.Bench;

/// <summary>
/// One training step through the engine, in Trainer's order: TrainingExecutor forward, softmax cross-entropy (the
/// kernel LossHead calls), backward, SGD update of the device parameters, end of step. The batch stays on the device
/// and the per-image losses are not read back, so neither data loading nor host transfers are timed (libtorch's side
/// does not time them either).
/// </summary>
public sealed class OursTrainingStep : IDisposable
{
    private readonly IKernels _kernels;
    private readonly TrainingExecutor _executor;
    private readonly Optimizer _optimizer = new(OptimizerKind.Sgd, BenchCatalog.SgdMomentum, BenchCatalog.SgdWeightDecay);
    private readonly Tensor _images;
    private readonly DeviceBuffer _labels;
    private readonly DeviceBuffer _losses;
    private readonly Tensor _lossGradient;

    public OursTrainingStep(GraphModel model, IKernels kernels, float[] images, int[] labels)
    {
        _kernels = kernels;
        var (c, h, w) = model.InputShape;
        _executor = new TrainingExecutor(model, kernels) { Training = true };
        _images = Tensor.FromHost(kernels, images, labels.Length, c, h, w);
        _labels = kernels.Allocate(labels.Length);
        kernels.Upload(labels.Select(l => (float)l).ToArray(), _labels);
        _losses = kernels.Allocate(labels.Length);
        _lossGradient = Tensor.Allocate(kernels, labels.Length, model.OutputShape.Aggregate(1, (a, b) => a * b));
    }

    public void Run()
    {
        var logits = _executor.Forward(_images);
        int batch = _lossGradient.Dim(0), classes = _lossGradient.Dim(1);
        _kernels.SoftmaxCrossEntropy(batch, classes, logits.Data, _labels, _losses, _lossGradient.Data);
        _executor.Backward(_lossGradient.Reshape(logits.Shape));
        _optimizer.Step(_executor.Parameters, BenchCatalog.SgdLr);
        _executor.EndStep();
        _kernels.Synchronize();
    }

    /// <summary>Mean loss of the last step (a host transfer, for checking that both sides train the same thing).</summary>
    public float LastLoss()
    {
        var losses = new float[_losses.Length];
        _kernels.Download(_losses, losses);
        return losses.Average();
    }

    public void Dispose()
    {
        _lossGradient.Dispose();
        _losses.Dispose();
        _labels.Dispose();
        _images.Dispose();
        _executor.Dispose();
    }
}
