using Ompq.Kernels;
using Ompq.Kernels.Ilgpu;
using Ompq.Tests.Kernels;
using Ompq.Tests.Reference;
using TorchSharp;
using static Ompq.Tests.Reference.TorchTensors;

namespace Ompq.Tests.Backends.IlgpuCpu;

/// <summary>
/// Kernel paths of the ILGPU backend that the shared suite's small simulator shapes never reach: several 64×64
/// tiles and K slices in GEMM and convolution, the 128×128 GEMM kernel, Gram split over d, min/max split over several groups per channel,
/// global pooling of large planes by a group. Checked against TorchSharp with the suite's tolerances.
/// </summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class IlgpuCpuTilingTests(IlgpuCpuFixture fixture) : KernelTestBase<IlgpuCpuFixture>(fixture)
{
    /// <summary>Runs <paramref name="run"/> with the GEMM/conv tile size forced, then puts the backend back to automatic.</summary>
    private void WithTiling(GemmTiling tiling, Action<IlgpuKernels> run)
    {
        var kernels = (IlgpuKernels)Backend;
        kernels.GemmTiling = tiling;
        try
        {
            run(kernels);
        }
        finally
        {
            kernels.GemmTiling = GemmTiling.Auto;
        }
    }

    [SkippableTheory]
    [InlineData(false, false, GemmTiling.Tile64)]
    [InlineData(true, false, GemmTiling.Tile64)]
    [InlineData(false, true, GemmTiling.Tile64)]
    [InlineData(true, true, GemmTiling.Tile64)]
    [InlineData(false, false, GemmTiling.Tile128)]
    [InlineData(true, true, GemmTiling.Tile128)]
    public void GemmAcrossSeveralTilesAndSlices(bool transA, bool transB, GemmTiling tiling)
    {
        // 64×64 tiles: 2×3 of them and 3 K slices; 128×128 tiles: 1×2 of them and 5 K slices.
        var shape = new GemmShape(70, 130, 40, transA, transB, Alpha: 0.75f, Beta: -0.5f);
        var rng = new Random((transA ? 2 : 1) + (transB ? 2 : 0) + (int)tiling * 4);
        var a = RandomData.Uniform(rng, shape.ASize);
        var b = RandomData.Uniform(rng, shape.BSize);
        var c = RandomData.Uniform(rng, shape.CSize);
        using var da = Upload(a);
        using var db = Upload(b);
        using var dc = Upload(c);
        WithTiling(tiling, kernels => kernels.Gemm(shape, da, db, dc));
        var actual = Download(dc);

        using var scope = torch.NewDisposeScope();
        var ta = transA ? From(a, shape.K, shape.M).t() : From(a, shape.M, shape.K);
        var tb = transB ? From(b, shape.N, shape.K).t() : From(b, shape.K, shape.N);
        var tc = From(c, shape.M, shape.N);
        var expected = Values(ta.matmul(tb) * shape.Alpha + tc * shape.Beta);
        var magnitude = Values(ta.abs().matmul(tb.abs()) * Math.Abs(shape.Alpha) + tc.abs() * Math.Abs(shape.Beta));
        Close.Assert(expected, actual, 2e-5f, 1e-6f, $"gemm {shape} {tiling}", magnitude);
    }

    [SkippableFact]
    public void LinearWithLargeTilesAppliesBiasAndEpilogue()
    {
        var shape = new LinearShape(130, 37, 150);
        var rng = new Random(21);
        var x = RandomData.Uniform(rng, (long)shape.Batch * shape.In);
        var w = RandomData.Uniform(rng, (long)shape.Out * shape.In);
        var bias = RandomData.Uniform(rng, shape.Out);
        using var dx = Upload(x);
        using var dw = Upload(w);
        using var db = Upload(bias);
        using var dy = Backend.Allocate((long)shape.Batch * shape.Out);
        WithTiling(GemmTiling.Tile128, kernels => kernels.Linear(shape, dx, dw, db, dy, Epilogue.Relu6));

        using var scope = torch.NewDisposeScope();
        var tx = From(x, shape.Batch, shape.In);
        var tw = From(w, shape.Out, shape.In);
        var tb = From(bias, shape.Out);
        var expected = Values(torch.nn.functional.linear(tx, tw, tb).clamp(0, 6));
        var magnitude = Values(torch.nn.functional.linear(tx.abs(), tw.abs(), tb.abs()));
        Close.Assert(expected, Download(dy), 2e-5f, 1e-6f, $"linear {shape} 128x128 tiles", magnitude);
    }

    [SkippableFact]
    public void ConvAcrossSeveralChannelAndPixelTiles()
    {
        var shape = Conv2dShape.Square(2, 5, 9, 8, 70, 3, stride: 1, pad: 1);
        var rng = new Random(11);
        var x = RandomData.Uniform(rng, shape.InputSize);
        var w = RandomData.Uniform(rng, shape.WeightSize);
        var bias = RandomData.Uniform(rng, shape.K);
        var actual = RunConv2d(shape, x, w, bias, Epilogue.Relu);
        var (expected, magnitude) = ConvCases.Reference(shape, x, w, bias, Activation.Relu);
        Close.Assert(expected, actual, 2e-5f, 1e-6f, $"conv2d {shape}", magnitude);

        // A second geometry, then the first again: the launcher's per-geometry gather tables must not mix.
        var other = Conv2dShape.Square(1, 3, 6, 7, 4, 3, stride: 2, pad: 1, dilation: 2);
        var ox = RandomData.Uniform(rng, other.InputSize);
        var ow = RandomData.Uniform(rng, other.WeightSize);
        var (otherExpected, otherMagnitude) = ConvCases.Reference(other, ox, ow, null, Activation.None);
        Close.Assert(otherExpected, RunConv2d(other, ox, ow, null, Epilogue.None), 2e-5f, 1e-6f, $"conv2d {other}", otherMagnitude);
        Close.Assert(expected, RunConv2d(shape, x, w, bias, Epilogue.Relu), 2e-5f, 1e-6f, $"conv2d {shape} again", magnitude);
    }

    [SkippableTheory]
    [InlineData(GemmTiling.Tile64)]
    [InlineData(GemmTiling.Tile128)]
    public void ConvWithManyOutputChannelsAndFakeQuantEpilogue(GemmTiling tiling)
    {
        // 130 channels in 2 groups: two 64-channel tiles (plus an edge) or one 128-channel tile (plus an edge) per group.
        var shape = Conv2dShape.Square(1, 6, 7, 9, 260, 3, stride: 1, pad: 1, groups: 2);
        var rng = new Random(16 + (int)tiling);
        var x = RandomData.Uniform(rng, shape.InputSize);
        var w = RandomData.Uniform(rng, shape.WeightSize);
        var bias = RandomData.Uniform(rng, shape.K);
        var quant = QuantParams.Unsigned(4, 3f);
        float[] actual = [];
        WithTiling(tiling, _ => actual = RunConv2d(shape, x, w, bias, new Epilogue(Activation.Relu, quant)));
        var (activated, magnitude) = ConvCases.Reference(shape, x, w, bias, Activation.Relu);
        using var scope = torch.NewDisposeScope();
        var expected = Values(FakeQuantReference.PerTensor(From(activated, activated.Length), quant.Scale, quant.ZeroPoint, quant.QMin, quant.QMax));
        for (int i = 0; i < expected.Length; i++)
        {
            float tolerance = 1e-6f + 2e-5f * magnitude[i];
            float error = Math.Abs(actual[i] - expected[i]);
            if (error <= tolerance) continue;
            // As in the shared epilogue suite: one step off only where the unquantized value is a rounding tie.
            double position = activated[i] / quant.Scale;
            bool nearTie = Math.Abs(position - Math.Floor(position) - 0.5) * quant.Scale <= tolerance * 2;
            Assert.True(nearTie && Math.Abs(error - quant.Scale) <= tolerance + 1e-6f * quant.Scale,
                $"conv2d {shape} {tiling}: element {i} expected {expected[i]} (from {activated[i]}), got {actual[i]}");
        }
    }

    [SkippableFact]
    public void GramSplitOverD()
    {
        const int n = 3;
        const int d = 8300;
        var x = RandomData.Uniform(new Random(12), (long)n * d);
        using var dx = Upload(x);
        using var dk = Backend.Allocate(n * n);
        Backend.Gram(n, d, dx, dk);
        var actual = Download(dk);

        using var scope = torch.NewDisposeScope();
        var tx = From(x, n, d);
        Close.Assert(Values(tx.matmul(tx.t())), actual, 2e-5f, 1e-6f, $"gram n={n} d={d}", Values(tx.abs().matmul(tx.abs().t())));
    }

    [SkippableTheory]
    [InlineData(1, 1, 9000)]
    [InlineData(3, 2, 1500)]
    public void MinMaxSplitOverSeveralGroupsPerChannel(long outer, int channels, long inner)
    {
        var x = RandomData.Uniform(new Random(13), outer * channels * inner, -5f, 5f);
        using var dx = Upload(x);
        using var dmin = Backend.Allocate(channels);
        using var dmax = Backend.Allocate(channels);
        Backend.MinMax(outer, channels, inner, dx, dmin, dmax);

        var expectedMin = new float[channels];
        var expectedMax = new float[channels];
        Array.Fill(expectedMin, float.PositiveInfinity);
        Array.Fill(expectedMax, float.NegativeInfinity);
        for (long o = 0; o < outer; o++)
            for (int c = 0; c < channels; c++)
                for (long i = 0; i < inner; i++)
                {
                    float v = x[(o * channels + c) * inner + i];
                    expectedMin[c] = Math.Min(expectedMin[c], v);
                    expectedMax[c] = Math.Max(expectedMax[c], v);
                }
        Close.Exact(expectedMin, Download(dmin), "min");
        Close.Exact(expectedMax, Download(dmax), "max");
    }

    [SkippableFact]
    public void GlobalAvgPoolOfLargePlanesByGroups()
    {
        var shape = new ChannelShape(1, 3, 700);
        var x = RandomData.Uniform(new Random(14), shape.Size);
        using var dx = Upload(x);
        using var dy = Backend.Allocate(3);
        Backend.GlobalAvgPool(shape, dx, dy);

        using var scope = torch.NewDisposeScope();
        var expected = Values(From(x, 1, 3, 700).mean([2L]));
        Close.Assert(expected, Download(dy), 1e-5f, 1e-6f, $"global avg pool {shape}");
    }

    [SkippableFact]
    public void CenterGramInPlace()
    {
        const int n = 7;
        var k = RandomData.Uniform(new Random(15), n * n, -3f, 3f);
        using var dk = Upload(k);
        Backend.CenterGram(n, dk, dk);

        using var scope = torch.NewDisposeScope();
        var h = torch.eye(n) - torch.ones(n, n) / n;
        var expected = Values(h.matmul(From(k, n, n)).matmul(h));
        Close.Assert(expected, Download(dk), 1e-5f, 1e-5f, "center gram in place");
    }
}
