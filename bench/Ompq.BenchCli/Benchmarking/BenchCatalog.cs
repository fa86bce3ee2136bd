using Ompq.Kernels;
using TorchSharp;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Ompq.Benchmarking;

/// <summary>
/// The shapes the project is measured on: square GEMMs, every distinct conv of ResNet-18 and the depthwise and
/// pointwise convs of MobileNetV2 at batch 32 and 224², the other ops at ResNet-18 activation sizes, the Gram
/// step and the whole features phase of an OMPQ search (BenchCatalog.Search.cs), and the training ops of resnet20 (BenchCatalog.Training.cs). One catalog feeds both `ompq bench` and
/// the BenchmarkDotNet project.
/// </summary>
public static partial class BenchCatalog
{
    public const int Batch = 32;

    /// <summary>Batch-norm running variance for both sides: seeded inputs lie in [−1, 1], a variance must be positive.</summary>
    private const float Variance = 0.75f;

    /// <summary>
    /// Tolerances of the output comparison, relative to the largest |libtorch| value of an output. fp32 sums of up to
    /// a few thousand products (GEMM, conv, linear) differ from libtorch's in summation order by far less than 1e-4;
    /// ops without long sums agree to rounding.
    /// </summary>
    private const double SumTolerance = 1e-4, RoundingTolerance = 1e-5;

    private static OutputCheck SumCheck => OutputCheck.RelativeToMax(SumTolerance);
    private static OutputCheck RoundingCheck => OutputCheck.RelativeToMax(RoundingTolerance);

    public static IReadOnlyList<BenchCase> All(bool quick = false)
    {
        var cases = new List<BenchCase>();
        foreach (int n in quick ? new[] { 512, 1024 } : new[] { 256, 512, 1024, 2048 })
            cases.Add(Gemm(n, n, n));
        cases.AddRange(ResNet18Convs(quick));
        cases.AddRange(MobileNetV2Convs(quick));
        cases.AddRange(Elementwise(quick));
        cases.Add(GramOfResNet18Features());
        cases.Add(SearchFeaturesOfResNet18());
        cases.AddRange(Training(quick));
        return cases;
    }

    public static BenchCase Gemm(int m, int n, int k)
    {
        var shape = new GemmShape(m, n, k);
        return new BenchCase("gemm", $"{m}x{n}x{k}", "gemm", shape.Flops, 4.0 * (shape.ASize + shape.BSize + shape.CSize),
            [BenchInput.Uniform(m, k), BenchInput.Uniform(k, n)],
            (kernels, inputs) => new OursRunner(kernels, inputs, [shape.CSize], (ks, b) => ks.Gemm(shape, b[0], b[1], b[2])),
            inputs => new LibtorchRunner(inputs, t => torch.matmul(t[0], t[1])),
            SumCheck);
    }

    public static BenchCase Conv(string suite, string layer, Conv2dShape s, Epilogue epilogue = default)
    {
        string label = $"{layer} {s.N}x{s.C}x{s.H}x{s.W} k{s.K} {s.R}x{s.S}/s{s.StrideH}" + (s.Groups > 1 ? $" g{s.Groups}" : "");
        string op = s.IsDepthwise ? "conv2d-depthwise" : s.R == 1 && s.S == 1 ? "conv2d-1x1" : "conv2d";
        bool relu = epilogue.Activation == Activation.Relu;
        bool relu6 = epilogue.Activation == Activation.Relu6;
        return new BenchCase(op, label, suite, s.Flops, 4.0 * (s.InputSize + s.WeightSize + s.OutputSize),
            [BenchInput.Uniform(s.N, s.C, s.H, s.W), BenchInput.Uniform(s.K, s.CPerGroup, s.R, s.S), BenchInput.Uniform(s.K)],
            (kernels, inputs) => new OursRunner(kernels, inputs, [s.OutputSize],
                (ks, b) => ks.Conv2d(s, b[0], b[1], b[2], b[3], epilogue)),
            inputs => new LibtorchRunner(inputs, t =>
            {
                var y = torch.nn.functional.conv2d(t[0], t[1], t[2], strides: [s.StrideH, s.StrideW],
                    padding: [s.PadH, s.PadW], dilation: [s.DilationH, s.DilationW], groups: s.Groups);
                return relu ? y.relu_() : relu6 ? y.clamp_(0, 6) : y;
            }),
            SumCheck);
    }

    /// <summary>Every distinct conv shape of torchvision ResNet-18 at 224², with the fused ReLU where the model has one.</summary>
    public static IEnumerable<BenchCase> ResNet18Convs(bool quick)
    {
        const int n = Batch;
        yield return Conv("resnet18", "conv1", Conv2dShape.Square(n, 3, 224, 224, 64, 7, 2, 3), Epilogue.Relu);
        yield return Conv("resnet18", "layer1", Conv2dShape.Square(n, 64, 56, 56, 64, 3, 1, 1), Epilogue.Relu);
        if (!quick) yield return Conv("resnet18", "layer2.0.conv1", Conv2dShape.Square(n, 64, 56, 56, 128, 3, 2, 1), Epilogue.Relu);
        yield return Conv("resnet18", "layer2", Conv2dShape.Square(n, 128, 28, 28, 128, 3, 1, 1), Epilogue.Relu);
        if (!quick) yield return Conv("resnet18", "layer2.0.downsample", Conv2dShape.Square(n, 64, 56, 56, 128, 1, 2, 0));
        if (!quick) yield return Conv("resnet18", "layer3.0.conv1", Conv2dShape.Square(n, 128, 28, 28, 256, 3, 2, 1), Epilogue.Relu);
        yield return Conv("resnet18", "layer3", Conv2dShape.Square(n, 256, 14, 14, 256, 3, 1, 1), Epilogue.Relu);
        if (!quick) yield return Conv("resnet18", "layer4.0.conv1", Conv2dShape.Square(n, 256, 14, 14, 512, 3, 2, 1), Epilogue.Relu);
        yield return Conv("resnet18", "layer4", Conv2dShape.Square(n, 512, 7, 7, 512, 3, 1, 1), Epilogue.Relu);
    }

    /// <summary>MobileNetV2's depthwise 3×3 convs (memory-bound) and a spread of its pointwise convs, batch 32 at 224².</summary>
    public static IEnumerable<BenchCase> MobileNetV2Convs(bool quick)
    {
        const int n = Batch;
        (int c, int hw, int stride)[] depthwise = quick
            ? [(144, 56, 1), (576, 14, 1)]
            : [(32, 112, 1), (96, 112, 2), (144, 56, 1), (144, 56, 2), (192, 28, 1), (192, 28, 2), (384, 14, 1), (576, 14, 1), (576, 14, 2), (960, 7, 1)];
        foreach (var (c, hw, stride) in depthwise)
            yield return Conv("mobilenetv2", "dw", Conv2dShape.Square(n, c, hw, hw, c, 3, stride, 1, groups: c), Epilogue.Relu6);
        (int c, int k, int hw)[] pointwise = quick
            ? [(144, 24, 56)]
            : [(16, 96, 112), (144, 24, 56), (24, 144, 56), (192, 32, 28), (384, 64, 14), (960, 160, 7), (320, 1280, 7)];
        foreach (var (c, k, hw) in pointwise)
            yield return Conv("mobilenetv2", "pw", Conv2dShape.Square(n, c, hw, hw, k, 1));
    }

    /// <summary>Memory-bound ops at ResNet-18 activation sizes: their GB/s matters more than GFLOP/s.</summary>
    public static IEnumerable<BenchCase> Elementwise(bool quick)
    {
        const int n = Batch;
        var act = new ChannelShape(n, 64, 56 * 56);
        long size = act.Size;
        long[] shape4 = [n, 64, 56, 56];

        // Inputs: x, gamma, beta, running mean, running variance.
        yield return new BenchCase("batchnorm+relu", $"{n}x64x56x56", "elementwise", 2.0 * size, 8.0 * size,
            [new(shape4), BenchInput.Uniform(64), BenchInput.Uniform(64), BenchInput.Uniform(64), BenchInput.Constant(Variance, 64)],
            (ks, inputs) => new OursRunner(ks, inputs, [size], (k, b) =>
                k.BatchNormInference(act, b[0], b[1], b[2], b[3], b[4], 1e-5f, b[5], Activation.Relu)),
            inputs => new LibtorchRunner(inputs, t =>
                torch.nn.functional.batch_norm(t[0], t[3], t[4], t[1], t[2], training: false, eps: 1e-5).relu_()),
            RoundingCheck);

        yield return new BenchCase("add+relu", $"{n}x64x56x56", "elementwise", size, 12.0 * size,
            [new(shape4), new(shape4)],
            (ks, inputs) => new OursRunner(ks, inputs, [size], (k, b) => k.Add(b[0], b[1], b[2], size, Activation.Relu)),
            inputs => new LibtorchRunner(inputs, t => (t[0] + t[1]).relu_()),
            RoundingCheck);

        yield return new BenchCase("relu6", $"{n}x64x56x56", "elementwise", size, 8.0 * size,
            [new(shape4)],
            (ks, inputs) => new OursRunner(ks, inputs, [size], (k, b) => k.Activate(Activation.Relu6, b[0], b[1], size)),
            inputs => new LibtorchRunner(inputs, t => torch.nn.functional.relu6(t[0])),
            RoundingCheck);

        var maxPool = Pool2dShape.Square(n, 64, 112, 112, 3, 2, 1);
        yield return new BenchCase("maxpool", $"{n}x64x112x112 3x3/s2", "elementwise", 9.0 * maxPool.OutputSize, 4.0 * (maxPool.InputSize + maxPool.OutputSize),
            [BenchInput.Uniform(n, 64, 112, 112)],
            (ks, inputs) => new OursRunner(ks, inputs, [maxPool.OutputSize], (k, b) => k.MaxPool2d(maxPool, b[0], b[1])),
            inputs => new LibtorchRunner(inputs, t => torch.nn.functional.max_pool2d(t[0], 3, 2, 1)),
            RoundingCheck);

        var avgPool = Pool2dShape.Square(n, 64, 56, 56, 2, 2);
        yield return new BenchCase("avgpool", $"{n}x64x56x56 2x2/s2", "elementwise", 4.0 * avgPool.OutputSize, 4.0 * (avgPool.InputSize + avgPool.OutputSize),
            [new(shape4)],
            (ks, inputs) => new OursRunner(ks, inputs, [avgPool.OutputSize], (k, b) => k.AvgPool2d(avgPool, b[0], b[1])),
            inputs => new LibtorchRunner(inputs, t => torch.nn.functional.avg_pool2d(t[0], 2, 2)),
            RoundingCheck);

        var gap = new ChannelShape(n, 512, 7 * 7);
        yield return new BenchCase("global-avgpool", $"{n}x512x7x7", "elementwise", gap.Size, 4.0 * gap.Size,
            [BenchInput.Uniform(n, 512, 7, 7)],
            (ks, inputs) => new OursRunner(ks, inputs, [n * 512], (k, b) => k.GlobalAvgPool(gap, b[0], b[1])),
            inputs => new LibtorchRunner(inputs, t => torch.nn.functional.adaptive_avg_pool2d(t[0], 1)),
            RoundingCheck);

        var linear = new LinearShape(n, 512, 1000);
        yield return new BenchCase("linear", $"{n}x512->1000", "elementwise", linear.Flops, 4.0 * (512 * 1000 + n * 1512),
            [BenchInput.Uniform(n, 512), BenchInput.Uniform(1000, 512), BenchInput.Uniform(1000)],
            (ks, inputs) => new OursRunner(ks, inputs, [n * 1000], (k, b) => k.Linear(linear, b[0], b[1], b[2], b[3])),
            inputs => new LibtorchRunner(inputs, t => torch.nn.functional.linear(t[0], t[1], t[2])),
            SumCheck);

        const int wRows = 512;
        const long wCols = 512 * 9;
        long wSize = wRows * wCols;
        // The largest step of a row is max|w_row|/7, and a row's largest weight lands on ±7 steps.
        yield return new BenchCase("fakequant-weights", $"{wRows}x{wCols} per-channel 4b", "quant", 4.0 * wSize, 12.0 * wSize,
            [BenchInput.Uniform(wRows, wCols)],
            (ks, inputs) => new OursRunner(ks, inputs, [wSize, wRows], (k, b) => k.FakeQuantWeightsPerChannel(wRows, wCols, 4, b[0], b[1], b[2]),
                compared: [1]),
            inputs => new LibtorchRunner(inputs, t =>
            {
                var scale = t[0].abs().amax([1], keepdim: true).div_(7);
                return t[0].div(scale).round_().clamp_(-8, 7).mul_(scale);
            }),
            OutputCheck.QuantSteps(reference => MaxAbs(reference) / 7));

        var quant = QuantParams.Unsigned(4, 1f);
        yield return new BenchCase("fakequant-activations", $"{n}x64x56x56 per-tensor 4b", "quant", 4.0 * size, 8.0 * size,
            [new(shape4)],
            (ks, inputs) => new OursRunner(ks, inputs, [size], (k, b) => k.FakeQuantPerTensor(quant, b[0], b[1], size)),
            inputs => new LibtorchRunner(inputs, t => t[0].div(quant.Scale).round_().clamp_(quant.QMin, quant.QMax).mul_(quant.Scale)),
            OutputCheck.QuantSteps(_ => quant.Scale));

        if (!quick)
        {
            yield return new BenchCase("minmax-per-channel", $"{n}x64x56x56", "quant", 2.0 * size, 4.0 * size,
                [new(shape4)],
                (ks, inputs) => new OursRunner(ks, inputs, [64, 64], (k, b) => k.MinMax(n, 64, 56 * 56, b[0], b[1], b[2])),
                inputs => new LibtorchRunner(inputs, t => new[] { t[0].amin([0, 2, 3]), t[0].amax([0, 2, 3]) }),
                RoundingCheck);
        }
    }

    /// <summary>
    /// The Gram step of an OMPQ search on ResNet-18 (QAT units, 32 images at 224²): 16 matrices X·Xᵀ with
    /// X = 32×d, Σd = 1,505,280. FLOPs are counted as the full product (3.08 GFLOP) for both sides, although the
    /// symmetric kernel computes only half of it.
    /// </summary>
    public static BenchCase GramOfResNet18Features()
    {
        const int n = Batch;
        long[] dims = [.. Enumerable.Repeat(64L * 56 * 56, 4), .. Enumerable.Repeat(128L * 28 * 28, 4),
                       .. Enumerable.Repeat(256L * 14 * 14, 4), .. Enumerable.Repeat(512L * 7 * 7, 4)];
        double flops = dims.Sum(d => 2.0 * n * n * d);
        return new BenchCase("gram", $"resnet18 16 units n={n} Σd={dims.Sum()}", "ompq", flops, 4.0 * dims.Sum() * n,
            [.. dims.Select(d => BenchInput.Uniform(n, d))],
            (ks, inputs) => new OursRunner(ks, inputs, [.. dims.Select(_ => (long)n * n)], (k, b) =>
            {
                for (int i = 0; i < dims.Length; i++) k.Gram(n, dims[i], b[i], b[dims.Length + i]);
            }),
            inputs => new LibtorchRunner(inputs, t => t.Select(x => torch.matmul(x, x.t())).ToArray()),
            SumCheck);
    }

    private static double MaxAbs(float[] values)
    {
        double max = 0;
        foreach (float v in values) max = Math.Max(max, Math.Abs(v));
        return max;
    }
}
