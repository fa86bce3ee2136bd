using Ompq.Kernels;
using Ompq.Runtime.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace Ompq.Benchmarking;

/// <summary>
/// The training ops at the shapes of a resnet20 step (28×28×1 images, batch 128): conv backward data and weight,
/// batch-norm with batch statistics forward + backward, softmax cross-entropy with its gradient, the bias gradient
/// (ChannelSum) and an SGD momentum step over all of resnet20's parameters. Suite "training": `--filter training`
/// selects them all, `--filter backward` the backward ops. The libtorch side goes through autograd, as libtorch
/// training does; kernel-level cases time only the backward node (the forward is recorded once).
/// </summary>
public static partial class BenchCatalog
{
    public const int TrainingBatch = 128;
    public const string TrainingSuite = "training";

    /// <summary>Sums over a batch and a plane (weight gradients, bias gradients): 10⁵ products, more rounding than a forward's sums.</summary>
    private static OutputCheck LongSumCheck => OutputCheck.RelativeToMax(1e-3);

    /// <summary>SGD hyper-parameters of the training-step benchmark (torch.optim.SGD conventions).</summary>
    public const float SgdLr = 0.05f, SgdMomentum = 0.9f, SgdWeightDecay = 5e-4f;

    public static IEnumerable<BenchCase> Training(bool quick)
    {
        const int n = TrainingBatch;
        (string Layer, Conv2dShape Shape)[] convs = quick
            ? [("layer1", Conv2dShape.Square(n, 16, 28, 28, 16, 3, 1, 1)), ("layer2", Conv2dShape.Square(n, 32, 14, 14, 32, 3, 1, 1))]
            :
            [
                ("layer1", Conv2dShape.Square(n, 16, 28, 28, 16, 3, 1, 1)),
                ("layer2.0.conv1", Conv2dShape.Square(n, 16, 28, 28, 32, 3, 2, 1)),
                ("layer2.0.downsample", Conv2dShape.Square(n, 16, 28, 28, 32, 1, 2, 0)),
                ("layer2", Conv2dShape.Square(n, 32, 14, 14, 32, 3, 1, 1)),
                ("layer3.0.conv1", Conv2dShape.Square(n, 32, 14, 14, 64, 3, 2, 1)),
                ("layer3", Conv2dShape.Square(n, 64, 7, 7, 64, 3, 1, 1)),
            ];
        foreach (var (layer, shape) in convs) yield return ConvBackwardData(layer, shape);
        // The stem's weight gradient is the only conv gradient it needs (its input is the images).
        if (!quick) yield return ConvBackwardWeight("conv1", Conv2dShape.Square(n, 1, 28, 28, 16, 3, 1, 1));
        foreach (var (layer, shape) in convs) yield return ConvBackwardWeight(layer, shape);

        yield return BatchNormTraining(n, 16, 28);
        if (!quick) yield return BatchNormTraining(n, 64, 7);
        yield return SoftmaxCrossEntropy(n, 10);
        if (!quick) yield return SoftmaxCrossEntropy(BenchCatalog.Batch, 1000);
        yield return ChannelSum(n, 16, 28);
        yield return SgdStepOverResNet20();
    }

    private static string ConvLabel(string layer, Conv2dShape s) => $"{layer} {s.N}x{s.C}x{s.H}x{s.W} k{s.K} {s.R}x{s.S}/s{s.StrideH}";

    private static Func<Tensor[], Tensor> TorchConv(Conv2dShape s) => t => torch.nn.functional.conv2d(t[0], t[1],
        strides: [s.StrideH, s.StrideW], padding: [s.PadH, s.PadW], dilation: [s.DilationH, s.DilationW], groups: s.Groups);

    /// <summary>A conv's inputs for its gradients: x, w and the output gradient dy.</summary>
    private static BenchInput[] ConvGradientInputs(Conv2dShape s) =>
        [BenchInput.Uniform(s.N, s.C, s.H, s.W), BenchInput.Uniform(s.K, s.CPerGroup, s.R, s.S), BenchInput.Uniform(s.N, s.K, s.P, s.Q)];

    /// <summary>dx from dy and w; libtorch runs its convolution backward node with only the input's gradient requested.</summary>
    public static BenchCase ConvBackwardData(string layer, Conv2dShape s) => new(
        "conv2d-backward-data", ConvLabel(layer, s), TrainingSuite, s.Flops, 4.0 * (s.InputSize + s.WeightSize + s.OutputSize),
        ConvGradientInputs(s),
        (kernels, inputs) => new OursRunner(kernels, inputs, [s.InputSize], (k, b) => k.Conv2dBackwardData(s, b[2], b[1], b[3])),
        inputs => new LibtorchGradientRunner(inputs, [0], TorchConv(s), recordEachRun: false, outputGradient: 2),
        SumCheck);

    /// <summary>
    /// dw from x and dy; libtorch runs its convolution backward node with only the weight's gradient requested. Each
    /// weight gradient sums N·P·Q products (up to 100,352 here), far more than a forward's, so its tolerance is looser.
    /// </summary>
    public static BenchCase ConvBackwardWeight(string layer, Conv2dShape s) => new(
        "conv2d-backward-weight", ConvLabel(layer, s), TrainingSuite, s.Flops, 4.0 * (s.InputSize + s.WeightSize + s.OutputSize),
        ConvGradientInputs(s),
        (kernels, inputs) => new OursRunner(kernels, inputs, [s.WeightSize], (k, b) => k.Conv2dBackwardWeight(s, b[0], b[2], b[3])),
        inputs => new LibtorchGradientRunner(inputs, [1], TorchConv(s), recordEachRun: false, outputGradient: 2),
        LongSumCheck);

    /// <summary>
    /// Batch statistics forward and backward of one batch-norm (no activation). FLOPs: about 4 per element forward
    /// (mean, variance, normalize-and-scale) and 6 backward (two sums, dx); compulsory traffic: x and y forward,
    /// x, dy and dx backward (5 floats per element). Compared: dx, dgamma and dbeta (libtorch's gradients with
    /// respect to the input, weight and bias).
    /// </summary>
    public static BenchCase BatchNormTraining(int n, int c, int side)
    {
        var shape = new ChannelShape(n, c, (long)side * side);
        long size = shape.Size;
        long[] shape4 = [n, c, side, side];
        // Inputs: x, running mean, running variance, gamma, beta, dy (torch's batch_norm argument order, then dy).
        // Outputs (from index 6): y, saveMean, saveInvStd, dx, dgamma, dbeta.
        return new BenchCase("batchnorm-train+backward", $"{n}x{c}x{side}x{side}", TrainingSuite, 10.0 * size, 20.0 * size,
            [new(shape4), BenchInput.Uniform(c), BenchInput.Constant(Variance, c), BenchInput.Uniform(c), BenchInput.Uniform(c), new(shape4)],
            (kernels, inputs) => new OursRunner(kernels, inputs, [size, c, c, size, c, c], (k, b) =>
            {
                k.BatchNormTrainingForward(shape, b[0], b[3], b[4], b[1], b[2], 0.1f, 1e-5f, b[6], b[7], b[8]);
                k.BatchNormBackward(shape, b[0], b[5], b[3], b[7], b[8], b[9], b[10], b[11]);
            }, compared: [9, 10, 11]),
            inputs => new LibtorchGradientRunner(inputs, [0, 3, 4],
                t => torch.nn.functional.batch_norm(t[0], t[1], t[2], t[3], t[4], training: true, momentum: 0.1, eps: 1e-5),
                recordEachRun: true, outputGradient: 5),
            SumCheck);
    }

    /// <summary>
    /// Loss and its gradient with respect to the logits, mean over the batch. About 5 FLOPs per logit (max, exp, sum,
    /// divide, subtract). Compared: the logits' gradient.
    /// </summary>
    public static BenchCase SoftmaxCrossEntropy(int batch, int classes)
    {
        long size = (long)batch * classes;
        Func<long, float> label = i => i % classes;
        return new BenchCase("softmax-ce+backward", $"{batch}x{classes}", TrainingSuite, 5.0 * size, 8.0 * size,
            [BenchInput.Uniform(batch, classes), new([batch], label)],
            (kernels, inputs) => new OursRunner(kernels, inputs, [batch, size],
                (k, b) => k.SoftmaxCrossEntropy(batch, classes, b[0], b[1], b[2], b[3]), compared: [3]),
            inputs =>
            {
                var target = torch.tensor(inputs[1].Select(l => (long)l).ToArray());
                return new LibtorchGradientRunner(inputs, [0],
                    t => torch.nn.functional.cross_entropy(t[0], target), recordEachRun: true);
            },
            RoundingCheck);
    }

    /// <summary>A bias gradient: the sum of dy over the batch and the plane per channel (1 FLOP and 4 bytes per element).</summary>
    public static BenchCase ChannelSum(int n, int c, int side)
    {
        long spatial = (long)side * side, size = n * c * spatial;
        return new BenchCase("channelsum-backward", $"{n}x{c}x{side}x{side}", TrainingSuite, size, 4.0 * size,
            [BenchInput.Uniform(n, c, side, side)],
            (kernels, inputs) => new OursRunner(kernels, inputs, [c], (k, b) => k.ChannelSum(n, c, spatial, b[0], b[1])),
            inputs => new LibtorchRunner(inputs, t => t[0].sum([0, 2, 3])),
            LongSumCheck);
    }

    /// <summary>
    /// One SGD step (momentum, weight decay) over every trainable tensor of resnet20, one fused op per tensor on our
    /// side, torch.optim.SGD on libtorch's. 6 FLOPs per element (decay, momentum, update); traffic: read parameter,
    /// gradient and momentum, write parameter and momentum (20 bytes per element). The step changes its own state, so
    /// the comparison is of the parameters after exactly one step from identical parameters and gradients and an
    /// empty momentum (ours zero, which gives torch's first step buf = g).
    /// </summary>
    public static BenchCase SgdStepOverResNet20()
    {
        long[] sizes = ResNet20TrainableSizes.Value;
        long total = sizes.Sum();
        int count = sizes.Length;
        var step = new SgdStep(SgdLr, SgdMomentum, SgdWeightDecay);
        return new BenchCase("sgd-momentum-step", $"resnet20 {count} tensors {total} floats", TrainingSuite, 6.0 * total, 20.0 * total,
            [.. sizes.Select(n => BenchInput.Uniform(n)), .. sizes.Select(n => BenchInput.Uniform(n)), .. sizes.Select(n => BenchInput.Constant(0f, n))],
            (kernels, inputs) => new OursRunner(kernels, inputs, [], (k, b) =>
            {
                for (int i = 0; i < count; i++) k.SgdStep(step, b[i], b[count + i], b[2 * count + i], sizes[i]);
            }, compared: [.. Enumerable.Range(0, count)]),
            inputs => new LibtorchSgdRunner(inputs, count, SgdLr, SgdMomentum, SgdWeightDecay),
            RoundingCheck);
    }

    private static readonly Lazy<long[]> ResNet20TrainableSizes = new(() =>
    {
        using var model = ModelZoo.Create("resnet20", 28, seed: 0, classes: 10);
        return model.Graph.Nodes.SelectMany(node => node.TrainableParameterNames).Select(name => (long)model.Parameters[name].Size).ToArray();
    });
}
