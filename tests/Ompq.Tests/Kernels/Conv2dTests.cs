using Ompq.Kernels;
using Ompq.Tests.Reference;
using TorchSharp;
using static Ompq.Tests.Reference.TorchTensors;

namespace Ompq.Tests.Kernels;

/// <summary>
/// Conv2d against torch.nn.functional.conv2d over random shapes cycling through five kinds: general, 1×1
/// stride 1, grouped, depthwise (with a channel multiplier sometimes), and strided/dilated/padded with odd
/// and size-1 dims; cases 6–9 of every ten use large planes. Tolerance: 2e-5 relative to conv(|x|, |w|) + |bias|.
/// </summary>
public abstract class Conv2dTests<TFixture>(TFixture fixture) : KernelTestBase<TFixture>(fixture)
    where TFixture : BackendFixture, IBackendCases
{
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void MatchesTorch(int caseIndex)
    {
        var rng = CaseRandom("conv2d", caseIndex);
        var shape = ConvCases.Random(rng, Limits, caseIndex % 5, largePlane: caseIndex % 10 >= 6);
        bool hasBias = rng.Next(3) > 0;
        var x = RandomData.Uniform(rng, shape.InputSize);
        var w = RandomData.Uniform(rng, shape.WeightSize);
        var bias = hasBias ? RandomData.Uniform(rng, shape.K) : null;
        var actual = RunConv2d(shape, x, w, bias, Epilogue.None);
        var (expected, magnitude) = ConvCases.Reference(shape, x, w, bias, Activation.None);
        Close.Assert(expected, actual, 2e-5f, 1e-6f, $"conv2d {shape} bias={hasBias}", magnitude);
    }

    /// <summary>
    /// Deep layers on small planes (7×7, 14×14) over several images, as in ResNet's last stages and MobileNet's pointwise
    /// convolutions: those batch all images into one GEMM per group, with reductions of several K slices, weight panels
    /// of full and partial height, and column panels that straddle images; 3×3 stride-1 layers of 256+ channels on planes
    /// up to 8×8 (odd, even, padding 0–2) go through Winograd's F(2×2, 3×3), and so do those of 64+ channels on 14² and
    /// larger planes (14², 18²), and on AVX-512 those of 32+ channels on planes up to 32 wide (14², 28², 29² cropped from
    /// 16 tiles a row). Bias with relu, or relu6 with fake quant.
    /// </summary>
    /// <summary>
    /// Winograd on planes that are not square: tiles counted along rows and columns separately (4×14: 2×7 tiles in one
    /// 16-lane vector; 3×20: 20 tiles, more than one vector holds; 8×5 with padding 0 and 2 on the two axes).
    /// </summary>
    [SkippableTheory]
    [InlineData(2, 256, 4, 14, 258, 1, 1)]
    [InlineData(2, 256, 3, 20, 256, 1, 1)]
    [InlineData(3, 260, 8, 5, 257, 0, 2)]
    public void WinogradOnRectangularPlanes(int n, int c, int h, int w, int k, int padH, int padW)
    {
        var shape = new Conv2dShape(n, c, h, w, k, 3, 3, 1, 1, padH, padW);
        var rng = new Random(n * 1000 + c + h * 31 + w + k);
        var x = RandomData.Uniform(rng, shape.InputSize);
        var weights = RandomData.Uniform(rng, shape.WeightSize);
        var bias = RandomData.Uniform(rng, shape.K);
        var actual = RunConv2d(shape, x, weights, bias, new Epilogue(Activation.Relu, null));
        var (expected, magnitude) = ConvCases.Reference(shape, x, weights, bias, Activation.Relu);
        Close.Assert(expected, actual, 2e-5f, 1e-6f, $"conv2d {shape} relu", magnitude);
    }

    [SkippableTheory]
    [InlineData(3, 96, 7, 40, 3, 1, 1, false)]
    [InlineData(2, 64, 14, 30, 3, 1, 1, true)]
    [InlineData(4, 120, 7, 50, 1, 1, 0, false)]
    [InlineData(3, 72, 14, 26, 1, 1, 0, true)]
    [InlineData(3, 64, 14, 36, 3, 2, 1, false)]
    [InlineData(5, 40, 7, 22, 3, 1, 1, true)]
    [InlineData(2, 48, 7, 9, 3, 1, 1, false)]
    [InlineData(3, 64, 7, 72, 3, 1, 1, false)]
    [InlineData(2, 256, 7, 260, 3, 1, 1, false)]
    [InlineData(2, 264, 8, 256, 3, 1, 1, true)]
    [InlineData(1, 256, 9, 258, 3, 1, 0, false)]
    [InlineData(2, 270, 5, 256, 3, 1, 2, true)]
    [InlineData(2, 256, 6, 257, 3, 1, 1, true)]
    [InlineData(2, 48, 14, 36, 3, 1, 1, true)]
    [InlineData(1, 32, 28, 33, 3, 1, 1, false)]
    [InlineData(2, 40, 31, 32, 3, 1, 0, true)]
    [InlineData(1, 64, 14, 66, 3, 1, 1, true)]
    [InlineData(2, 70, 20, 64, 3, 1, 0, false)]
    public void DeepLayersOnSmallPlanes(int n, int c, int plane, int k, int kernel, int stride, int pad, bool fakeQuant)
    {
        var shape = Conv2dShape.Square(n, c, plane, plane, k, kernel, stride, pad);
        var rng = new Random(n * 1000 + c + plane + k);
        var x = RandomData.Uniform(rng, shape.InputSize);
        var w = RandomData.Uniform(rng, shape.WeightSize);
        var bias = RandomData.Uniform(rng, shape.K);
        var activation = fakeQuant ? Activation.Relu6 : Activation.Relu;
        var quant = fakeQuant ? QuantParams.Unsigned(4, 6f) : (QuantParams?)null;
        var actual = RunConv2d(shape, x, w, bias, new Epilogue(activation, quant));
        var (activated, magnitude) = ConvCases.Reference(shape, x, w, bias, activation);
        if (quant is not { } q)
        {
            Close.Assert(activated, actual, 2e-5f, 1e-6f, $"conv2d {shape} relu", magnitude);
            return;
        }
        using var scope = torch.NewDisposeScope();
        var expected = Values(FakeQuantReference.PerTensor(From(activated, activated.Length), q.Scale, q.ZeroPoint, q.QMin, q.QMax));
        int steps = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            float tolerance = 1e-6f + 2e-5f * magnitude[i];
            float error = Math.Abs(actual[i] - expected[i]);
            if (error <= tolerance) continue;
            // One quantization step off only where the unquantized value lies within rounding tolerance of a tie.
            double position = activated[i] / q.Scale;
            bool nearTie = Math.Abs(position - Math.Floor(position) - 0.5) * q.Scale <= tolerance * 2;
            Assert.True(nearTie && Math.Abs(error - q.Scale) <= tolerance + 1e-6f * q.Scale,
                $"conv2d {shape} relu6+quant: element {i} expected {expected[i]} (from {activated[i]}), got {actual[i]}");
            steps++;
        }
        Assert.True(steps <= Math.Max(2, actual.Length / 100), $"conv2d {shape}: {steps} elements one step off");
    }

    /// <summary>Every row width from 1 to 26 with every padding and both strides: the edges of vectorized depthwise rows.</summary>
    [SkippableFact]
    public void DepthwiseEveryWidthAndPadding()
    {
        var rng = new Random(11);
        for (int width = 1; width <= 26; width++)
            for (int pad = 0; pad <= 2; pad++)
                for (int stride = 1; stride <= 2; stride++)
                {
                    var shape = new Conv2dShape(1, 3, 4, width, 3, 3, 3, stride, stride, pad, pad, Groups: 3);
                    if (!ShapeRules.WindowFits(shape)) continue;
                    var x = RandomData.Uniform(rng, shape.InputSize);
                    var w = RandomData.Uniform(rng, shape.WeightSize);
                    var bias = RandomData.Uniform(rng, shape.K);
                    var actual = RunConv2d(shape, x, w, bias, Epilogue.None);
                    var (expected, magnitude) = ConvCases.Reference(shape, x, w, bias, Activation.None);
                    Close.Assert(expected, actual, 2e-5f, 1e-6f, $"depthwise {shape}", magnitude);
                }
    }

    /// <summary>
    /// Heights 1–16 with every vertical padding against widths around one and two vectors, both strides: the
    /// flat small-plane kernel (masks per vector and tap), the one-vector-per-row kernel's width limits (6 | 7, 16 | 17)
    /// and the stride-2 deinterleaving kernels' row edges (one output row per vector up to 30 input columns).
    /// </summary>
    [SkippableFact]
    public void DepthwiseSmallPlanesEveryHeightAndPadding()
    {
        var rng = new Random(12);
        foreach (int width in new[] { 1, 5, 6, 7, 8, 9, 12, 14, 15, 16, 17, 18, 19, 28, 29, 30, 31 })
            for (int height = 1; height <= 16; height++)
                for (int padH = 0; padH <= 2; padH++)
                    for (int padW = 0; padW <= 2; padW++)
                        for (int stride = 1; stride <= 2; stride++)
                        {
                            var shape = new Conv2dShape(2, 3, height, width, 3, 3, 3, stride, stride, padH, padW, Groups: 3);
                            if (!ShapeRules.WindowFits(shape)) continue;
                            var x = RandomData.Uniform(rng, shape.InputSize);
                            var w = RandomData.Uniform(rng, shape.WeightSize);
                            var bias = RandomData.Uniform(rng, shape.K);
                            // Every other height with the fused relu6, which the vector kernels apply before their single store.
                            var activation = height % 2 == 0 ? Activation.Relu6 : Activation.None;
                            var actual = RunConv2d(shape, x, w, bias, new Epilogue(activation));
                            var (expected, magnitude) = ConvCases.Reference(shape, x, w, bias, activation);
                            Close.Assert(expected, actual, 2e-5f, 1e-6f, $"depthwise {shape} {activation}", magnitude);
                        }
    }

    /// <summary>
    /// Depthwise planes with 7×7 outputs and their neighbours (5–9 per side, square or not; stride 2 from 10–18 inputs,
    /// 13 and 14 giving 7): the flat 7×7 kernels and the dispatch around them. Every epilogue on the exact 7×7 outputs
    /// (none, relu, relu6, relu6 with fake quant, fake quant alone), with and without bias; one epilogue per neighbour.
    /// Unquantized outputs against torch, quantized ones against the same conv followed by the separate fake-quant op.
    /// </summary>
    [SkippableFact]
    public void DepthwiseSevenBySevenOutputsEveryEpilogue()
    {
        var rng = new Random(14);
        (int H, int W)[] strideOne = [(7, 7), (5, 5), (6, 6), (8, 8), (9, 9), (7, 5), (5, 7), (6, 7), (7, 6), (8, 7), (7, 8), (9, 7), (7, 9)];
        (int H, int W)[] strideTwo = [(14, 14), (13, 13), (12, 12), (15, 15), (16, 16), (10, 10), (18, 18), (14, 13), (13, 14), (14, 12), (12, 14), (14, 16), (16, 14)];
        var unsigned = QuantParams.Unsigned(4, 2f);
        var symmetric = QuantParams.Symmetric(5, 3f);
        (Activation Activation, QuantParams? Quant)[] epilogues =
            [(Activation.None, null), (Activation.Relu, null), (Activation.Relu6, null), (Activation.Relu6, unsigned), (Activation.None, symmetric)];
        int variant = 0;
        foreach (int stride in new[] { 1, 2 })
            foreach (var (h, w) in stride == 1 ? strideOne : strideTwo)
            {
                var plane = new Conv2dShape(1, 1, h, w, 1, 3, 3, stride, stride, 1, 1);
                bool exact = plane.P == 7 && plane.Q == 7;
                foreach (var (n, c) in new[] { (2, 5), (1, 17) })
                    foreach (bool hasBias in exact ? new[] { true, false } : new[] { variant % 2 == 0 })
                        for (int e = 0; e < epilogues.Length; e++)
                        {
                            if (!exact && e != variant % epilogues.Length) continue;
                            var (activation, quant) = epilogues[e];
                            var shape = new Conv2dShape(n, c, h, w, c, 3, 3, stride, stride, 1, 1, Groups: c);
                            var x = RandomData.Uniform(rng, shape.InputSize);
                            var weights = RandomData.Uniform(rng, shape.WeightSize);
                            var bias = hasBias ? RandomData.Uniform(rng, shape.K) : null;
                            var actual = RunConv2d(shape, x, weights, bias, new Epilogue(activation));
                            var (expected, magnitude) = ConvCases.Reference(shape, x, weights, bias, activation);
                            Close.Assert(expected, actual, 2e-5f, 1e-6f, $"depthwise {shape} {activation} bias={hasBias}", magnitude);
                            if (quant is not { } q) continue;
                            var fused = RunConv2d(shape, x, weights, bias, new Epilogue(activation, q));
                            using var activated = Upload(actual);
                            using var quantized = Backend.Allocate(actual.Length);
                            Backend.FakeQuantPerTensor(q, activated, quantized, actual.Length);
                            Assert.Equal(Download(quantized), fused);
                        }
                variant++;
            }
    }

    /// <summary>
    /// MobileNet-like depthwise planes (7² and 14², and 28², 32² and 33² around the flat 16-lane kernel's size limit),
    /// both strides, batch above 1, channel counts that are not multiples of 16, with and without bias: ReLU6 against
    /// torch, and the fused output fake quant against the same conv followed by the separate fake-quant op (exactly).
    /// </summary>
    [SkippableFact]
    public void DepthwiseMobileNetPlanes()
    {
        var rng = new Random(13);
        foreach (int size in new[] { 7, 14, 28, 32, 33 })
            foreach (int stride in new[] { 1, 2 })
                foreach (var (n, c) in new[] { (3, 19), (2, 37) })
                {
                    var shape = Conv2dShape.Square(n, c, size, size, c, 3, stride, 1, groups: c);
                    var x = RandomData.Uniform(rng, shape.InputSize);
                    var w = RandomData.Uniform(rng, shape.WeightSize);
                    var bias = c == 19 ? RandomData.Uniform(rng, shape.K) : null;
                    var actual = RunConv2d(shape, x, w, bias, Epilogue.Relu6);
                    var (expected, magnitude) = ConvCases.Reference(shape, x, w, bias, Activation.Relu6);
                    Close.Assert(expected, actual, 2e-5f, 1e-6f, $"depthwise {shape} relu6", magnitude);

                    var quant = QuantParams.Unsigned(4, 2f);
                    var fused = RunConv2d(shape, x, w, bias, new Epilogue(Activation.Relu6, quant));
                    using var activated = Upload(actual);
                    using var quantized = Backend.Allocate(actual.Length);
                    Backend.FakeQuantPerTensor(quant, activated, quantized, actual.Length);
                    Assert.Equal(Download(quantized), fused);
                }
    }
}

/// <summary>Random convolution shapes and the torch reference, shared by the conv and epilogue tests.</summary>
internal static class ConvCases
{
    /// <summary>kind: 0 general, 1 pointwise (1×1 stride 1), 2 grouped, 3 depthwise, 4 odd strides/dilation/padding.</summary>
    /// <param name="largePlane">H, W near <see cref="ShapeLimits.LargeSpatial"/> with at most 8 channels per group</param>
    public static Conv2dShape Random(Random rng, ShapeLimits limits, int kind, bool largePlane = false)
    {
        for (int attempt = 0; ; attempt++)
        {
            int n = RandomData.Size(rng, limits.MaxBatch);
            int h = RandomData.Size(rng, limits.MaxSpatial), w = RandomData.Size(rng, limits.MaxSpatial);
            int cg = RandomData.Size(rng, limits.MaxChannels), kg = RandomData.Size(rng, limits.MaxChannels);
            if (largePlane)
            {
                h = rng.Next(limits.LargeSpatial * 2 / 3, limits.LargeSpatial + 1);
                w = rng.Next(limits.LargeSpatial * 2 / 3, limits.LargeSpatial + 1);
                cg = Math.Min(cg, 8);
                kg = Math.Min(kg, 8);
            }
            int groups = 1, r = rng.Next(1, 4) * 2 - 1, s = r, stride = 1, pad = r / 2, dilation = 1;
            switch (kind)
            {
                case 1:
                    r = s = 1;
                    pad = 0;
                    break;
                case 2:
                    groups = rng.Next(2, 5);
                    break;
                case 3:
                    groups = RandomData.Size(rng, limits.MaxChannels);
                    cg = 1;
                    kg = rng.Next(4) == 0 ? 2 : 1;
                    stride = rng.Next(1, 3);
                    pad = rng.Next(0, r / 2 + 2);
                    break;
                case 4:
                    r = rng.Next(1, 6);
                    s = rng.Next(1, 6);
                    stride = rng.Next(1, 4);
                    dilation = rng.Next(1, 3);
                    pad = rng.Next(0, 3);
                    break;
            }
            var shape = new Conv2dShape(n, cg * groups, h, w, kg * groups, r, s,
                stride, kind == 4 ? rng.Next(1, 4) : stride, pad, kind == 4 ? rng.Next(0, 3) : kind == 3 ? rng.Next(0, s / 2 + 2) : pad,
                dilation, kind == 4 ? rng.Next(1, 3) : dilation, groups);
            if (ShapeRules.WindowFits(shape)) return shape;
            if (attempt > 100) return Conv2dShape.Square(1, 1, 3, 3, 1, 1);
        }
    }

    /// <summary>Activated reference output and the magnitude conv(|x|, |w|) + |bias| that bounds its rounding error.</summary>
    public static (float[] Expected, float[] Magnitude) Reference(Conv2dShape s, float[] x, float[] w, float[]? bias, Activation activation)
    {
        using var scope = torch.NewDisposeScope();
        var tx = From(x, s.N, s.C, s.H, s.W);
        var tw = From(w, s.K, s.CPerGroup, s.R, s.S);
        var tb = bias is null ? null : From(bias, s.K);
        long[] strides = [s.StrideH, s.StrideW], padding = [s.PadH, s.PadW], dilation = [s.DilationH, s.DilationW];
        var y = torch.nn.functional.conv2d(tx, tw, tb, strides, padding, dilation, s.Groups);
        var magnitude = torch.nn.functional.conv2d(tx.abs(), tw.abs(), tb?.abs(), strides, padding, dilation, s.Groups);
        return (Values(TorchActivation.Apply(activation, y)), Values(magnitude));
    }
}
