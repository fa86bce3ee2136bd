using Ompq.Kernels;
using Ompq.Tests.Kernels;
using Ompq.Tests.Reference;
using TorchSharp;
using static Ompq.Tests.Reference.TorchTensors;

namespace Ompq.Tests.Backends.IlgpuCpu;

/// <summary>
/// Training-kernel paths of the ILGPU backend that the shared suite's small simulator shapes never reach: per-channel
/// reductions with more elements than one group has threads (several strided shares per thread before the tree),
/// conv gradients with every stride/padding/dilation/group option at once, pooling gradients where windows overlap
/// and tie. Checked against TorchSharp autograd; plus bit-identical reruns of the reducing kernels.
/// </summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class IlgpuCpuTrainingPathTests(IlgpuCpuFixture fixture) : KernelTestBase<IlgpuCpuFixture>(fixture)
{
    private static readonly Conv2dShape StridedGroupedConv = new(2, 4, 9, 8, 6, 3, 2, StrideH: 2, StrideW: 1, PadH: 1, PadW: 2, DilationH: 2, DilationW: 1, Groups: 2);

    [SkippableFact]
    public void ConvGradientsWithStrideDilationPaddingAndGroups()
    {
        var shape = StridedGroupedConv;
        var rng = new Random(31);
        var x = RandomData.Uniform(rng, shape.InputSize);
        var w = RandomData.Uniform(rng, shape.WeightSize);
        var dy = RandomData.Uniform(rng, shape.OutputSize);
        using var bx = Upload(x);
        using var bw = Upload(w);
        using var bdy = Upload(dy);
        using var bdx = Backend.Allocate(shape.InputSize);
        using var bdw = Backend.Allocate(shape.WeightSize);
        Backend.Conv2dBackwardData(shape, bdy, bw, bdx);
        Backend.Conv2dBackwardWeight(shape, bx, bdy, bdw);

        var (dxExpected, dwExpected) = ConvGradients(shape, x, w, dy);
        var (dxMagnitude, dwMagnitude) = ConvGradients(shape, Abs(x), Abs(w), Abs(dy));
        Close.Assert(dxExpected, Download(bdx), 2e-5f, 1e-6f, $"conv2d dx {shape}", dxMagnitude);
        Close.Assert(dwExpected, Download(bdw), 2e-5f, 1e-6f, $"conv2d dw {shape}", dwMagnitude);
    }

    [SkippableFact]
    public void ChannelSumOverMoreElementsThanAGroupHasThreads()
    {
        const long outer = 3, inner = 130;
        const int channels = 5;
        var x = RandomData.Uniform(new Random(32), outer * channels * inner);
        using var bx = Upload(x);
        using var sums = Backend.Allocate(channels);
        Backend.ChannelSum(outer, channels, inner, bx, sums);

        var expected = new float[channels];
        var magnitude = new float[channels];
        for (long o = 0; o < outer; o++)
            for (int c = 0; c < channels; c++)
                for (long i = 0; i < inner; i++)
                {
                    float v = x[(o * channels + c) * inner + i];
                    expected[c] += v;
                    magnitude[c] += Math.Abs(v);
                }
        Close.Assert(expected, Download(sums), 1e-5f, 1e-6f, "channel sum", magnitude);
    }

    [SkippableFact]
    public void BatchNormTrainingOverMoreElementsThanAGroupHasThreads()
    {
        var shape = new ChannelShape(2, 3, 150);
        const float momentum = 0.1f, eps = 1e-5f;
        var rng = new Random(33);
        var x = RandomData.Uniform(rng, shape.Size, -2f, 3f);
        var gamma = RandomData.Uniform(rng, shape.C, 0.5f, 1.5f);
        var beta = RandomData.Uniform(rng, shape.C);
        var runningMean = RandomData.Uniform(rng, shape.C);
        var runningVar = RandomData.Uniform(rng, shape.C, 0.5f, 2f);
        var dy = RandomData.Uniform(rng, shape.Size);
        using var bx = Upload(x);
        using var bg = Upload(gamma);
        using var bb = Upload(beta);
        using var brm = Upload(runningMean);
        using var brv = Upload(runningVar);
        using var bdy = Upload(dy);
        using var by = Backend.Allocate(shape.Size);
        using var mean = Backend.Allocate(shape.C);
        using var invStd = Backend.Allocate(shape.C);
        using var bdx = Backend.Allocate(shape.Size);
        using var dgamma = Backend.Allocate(shape.C);
        using var dbeta = Backend.Allocate(shape.C);
        Backend.BatchNormTrainingForward(shape, bx, bg, bb, brm, brv, momentum, eps, by, mean, invStd);
        Backend.BatchNormBackward(shape, bx, bdy, bg, mean, invStd, bdx, dgamma, dbeta);

        using var scope = torch.NewDisposeScope();
        var tx = From(x, shape.N, shape.C, shape.Spatial).requires_grad_();
        var tg = From(gamma, shape.C).requires_grad_();
        var tb = From(beta, shape.C).requires_grad_();
        var trm = From(runningMean, shape.C);
        var trv = From(runningVar, shape.C);
        var ty = torch.nn.functional.batch_norm(tx, trm, trv, tg, tb, training: true, momentum: momentum, eps: eps);
        (ty * From(dy, shape.N, shape.C, shape.Spatial)).sum().backward();
        var batchMean = tx.detach().mean([0L, 2L]);
        var batchVar = tx.detach().var([0L, 2L], unbiased: false);

        Close.Assert(Values(ty), Download(by), 1e-5f, 1e-5f, "bn y");
        Close.Assert(Values(batchMean), Download(mean), 1e-5f, 1e-6f, "bn saved mean");
        Close.Assert(Values((batchVar + eps).rsqrt()), Download(invStd), 1e-5f, 1e-6f, "bn saved invStd");
        Close.Assert(Values(trm), Download(brm), 1e-5f, 1e-6f, "bn running mean");
        Close.Assert(Values(trv), Download(brv), 1e-5f, 1e-6f, "bn running var");
        Close.Assert(Values(tx.grad!), Download(bdx), 1e-4f, 1e-5f, "bn dx");
        Close.Assert(Values(tg.grad!), Download(dgamma), 1e-4f, 1e-5f, "bn dgamma");
        Close.Assert(Values(tb.grad!), Download(dbeta), 1e-5f, 1e-5f, "bn dbeta");

        // Reductions in a fixed order: a rerun is bit-identical.
        var dxFirst = Download(bdx);
        Backend.BatchNormBackward(shape, bx, bdy, bg, mean, invStd, bdx, dgamma, dbeta);
        Close.Exact(dxFirst, Download(bdx), "bn dx rerun");
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void PoolingGradientsWithOverlappingWindowsAndTies(bool countIncludePad)
    {
        var shape = Pool2dShape.Square(2, 3, 9, 7, 3, 2, pad: 1, countIncludePad);
        var rng = new Random(34);
        // Few distinct values: most windows hold a tie, which must go to the first maximum.
        var x = Enumerable.Range(0, (int)shape.InputSize).Select(_ => (float)rng.Next(4)).ToArray();
        var dy = RandomData.Uniform(rng, shape.OutputSize);
        using var bx = Upload(x);
        using var bdy = Upload(dy);
        using var bdx = Backend.Allocate(shape.InputSize);

        using var scope = torch.NewDisposeScope();
        long[] kernel = [shape.R, shape.S], stride = [shape.StrideH, shape.StrideW], pad = [shape.PadH, shape.PadW];
        var tdy = From(dy, shape.N, shape.C, shape.P, shape.Q);

        Backend.MaxPool2dBackward(shape, bx, bdy, bdx);
        var tx = From(x, shape.N, shape.C, shape.H, shape.W).requires_grad_();
        (torch.nn.functional.max_pool2d(tx, kernel, stride, pad) * tdy).sum().backward();
        Close.Assert(Values(tx.grad!), Download(bdx), 1e-6f, 1e-6f, $"max pool dx {shape}");

        Backend.AvgPool2dBackward(shape, bdy, bdx);
        var ta = From(x, shape.N, shape.C, shape.H, shape.W).requires_grad_();
        (torch.nn.functional.avg_pool2d(ta, kernel, stride, pad, ceil_mode: false, count_include_pad: countIncludePad) * tdy).sum().backward();
        Close.Assert(Values(ta.grad!), Download(bdx), 1e-6f, 1e-6f, $"avg pool dx {shape}");
    }

    [SkippableFact]
    public void SoftmaxCrossEntropyIsStableForLargeLogitsAndPoisonsInvalidLabels()
    {
        const int batch = 4, classes = 7;
        var rng = new Random(35);
        var logits = RandomData.Uniform(rng, batch * classes, -3f, 3f);
        for (int j = 0; j < classes; j++) logits[classes + j] += 500f;
        long[] labels = [2, 0, 6, 3];
        using var bl = Upload(logits);
        using var blabels = Upload(labels.Select(l => (float)l).ToArray());
        using var losses = Backend.Allocate(batch);
        using var dlogits = Backend.Allocate(batch * classes);
        Backend.SoftmaxCrossEntropy(batch, classes, bl, blabels, losses, dlogits);

        using var scope = torch.NewDisposeScope();
        var tl = From(logits, batch, classes).requires_grad_();
        var target = torch.tensor(labels);
        var perSample = torch.nn.functional.cross_entropy(tl, target, reduction: torch.nn.Reduction.None);
        perSample.mean().backward();
        Close.Assert(Values(perSample), Download(losses), 1e-5f, 1e-5f, "losses");
        Close.Assert(Values(tl.grad!), Download(dlogits), 1e-5f, 1e-6f, "dlogits");

        Backend.Upload([2f, -1f, 7f, 1.5f], blabels);
        Backend.SoftmaxCrossEntropy(batch, classes, bl, blabels, losses, dlogits);
        var poisoned = Download(losses);
        Assert.False(float.IsNaN(poisoned[0]));
        Assert.All(poisoned.Skip(1), loss => Assert.True(float.IsNaN(loss)));
    }

    [SkippableFact]
    public void ConvWeightGradientIsBitIdenticalOnRerun()
    {
        var shape = StridedGroupedConv;
        var rng = new Random(36);
        using var bx = Upload(RandomData.Uniform(rng, shape.InputSize));
        using var bdy = Upload(RandomData.Uniform(rng, shape.OutputSize));
        using var bdw = Backend.Allocate(shape.WeightSize);
        Backend.Conv2dBackwardWeight(shape, bx, bdy, bdw);
        var first = Download(bdw);
        Backend.Conv2dBackwardWeight(shape, bx, bdy, bdw);
        Close.Exact(first, Download(bdw), "conv2d dw rerun");
    }

    private static (float[] Dx, float[] Dw) ConvGradients(in Conv2dShape s, float[] x, float[] w, float[] dy)
    {
        using var scope = torch.NewDisposeScope();
        var tx = From(x, s.N, s.C, s.H, s.W).requires_grad_();
        var tw = From(w, s.K, s.CPerGroup, s.R, s.S).requires_grad_();
        var y = torch.nn.functional.conv2d(tx, tw, null, [s.StrideH, s.StrideW], [s.PadH, s.PadW], [s.DilationH, s.DilationW], s.Groups);
        (y * From(dy, s.N, s.K, s.P, s.Q)).sum().backward();
        return (Values(tx.grad!), Values(tw.grad!));
    }

    private static float[] Abs(float[] values) => values.Select(Math.Abs).ToArray();
}
