using Ompq.Kernels;
using Ompq.Tests.Reference;
using TorchSharp;
using static Ompq.Tests.Reference.TorchTensors;

namespace Ompq.Tests.Kernels;

/// <summary>Max, average (count_include_pad both ways) and global-average pooling against torch. Max exact; averages 1e-5 relative to the mean of |x|.</summary>
public abstract class PoolingTests<TFixture>(TFixture fixture) : KernelTestBase<TFixture>(fixture)
    where TFixture : BackendFixture, IBackendCases
{
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void MaxPoolMatchesTorch(int caseIndex)
    {
        var (shape, x) = RandomPool("maxpool", caseIndex, countIncludePad: true);
        using var dx = Upload(x);
        using var dy = Backend.Allocate(shape.OutputSize);
        Backend.MaxPool2d(shape, dx, dy);
        var actual = Download(dy);

        using var scope = torch.NewDisposeScope();
        var y = torch.nn.functional.max_pool2d(From(x, shape.N, shape.C, shape.H, shape.W),
            [shape.R, shape.S], [shape.StrideH, shape.StrideW], [shape.PadH, shape.PadW]);
        Close.Exact(Values(y), actual, $"maxpool {shape}");
    }

    [SkippableFact]
    public void MaxPoolPropagatesNaNLikeTorch()
    {
        var shape = Pool2dShape.Square(1, 2, 19, 21, 3, 2, pad: 1);
        var x = RandomData.Uniform(new Random(7), shape.InputSize);
        x[5 * 21 + 7] = float.NaN;
        x[19 * 21 + 20] = float.NaN;
        using var dx = Upload(x);
        using var dy = Backend.Allocate(shape.OutputSize);
        Backend.MaxPool2d(shape, dx, dy);
        var actual = Download(dy);

        using var scope = torch.NewDisposeScope();
        var y = torch.nn.functional.max_pool2d(From(x, 1, 2, 19, 21), [3L, 3L], [2L, 2L], [1L, 1L]);
        var expected = Values(y);
        Assert.Contains(expected, float.IsNaN);
        Close.Exact(expected, actual, "maxpool with NaN");
    }

    /// <summary>
    /// The ResNet stem's 3×3 stride-2 window at every width from 1 to 70 (one to three 16-output blocks, edge and
    /// interior), both paddings, odd and even heights, batch and channels above 1, with a NaN and a −∞ in every other case.
    /// </summary>
    [SkippableFact]
    public void MaxPoolThreeByThreeStrideTwoEveryWidth()
    {
        var rng = new Random(17);
        for (int width = 1; width <= 70; width++)
            for (int pad = 0; pad <= 1; pad++)
            {
                int height = 3 + width % 4;
                if (width + 2 * pad < 3) continue;
                var shape = Pool2dShape.Square(2, 3, height, width, 3, 2, pad);
                var x = RandomData.Uniform(rng, shape.InputSize);
                if (width % 2 == 0)
                {
                    x[rng.Next(x.Length)] = float.NaN;
                    x[rng.Next(x.Length)] = float.NegativeInfinity;
                }
                using var dx = Upload(x);
                using var dy = Backend.Allocate(shape.OutputSize);
                Backend.MaxPool2d(shape, dx, dy);
                var actual = Download(dy);

                using var scope = torch.NewDisposeScope();
                var y = torch.nn.functional.max_pool2d(From(x, 2, 3, height, width), [3L, 3L], [2L, 2L], [(long)pad, (long)pad]);
                Close.Exact(Values(y), actual, $"maxpool {shape}");
            }
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void AvgPoolMatchesTorch(int caseIndex)
    {
        var (shape, x) = RandomPool("avgpool", caseIndex, countIncludePad: caseIndex % 2 == 0);
        using var dx = Upload(x);
        using var dy = Backend.Allocate(shape.OutputSize);
        Backend.AvgPool2d(shape, dx, dy);
        var actual = Download(dy);

        using var scope = torch.NewDisposeScope();
        var tx = From(x, shape.N, shape.C, shape.H, shape.W);
        long[] kernel = [shape.R, shape.S], stride = [shape.StrideH, shape.StrideW], pad = [shape.PadH, shape.PadW];
        var y = torch.nn.functional.avg_pool2d(tx, kernel, stride, pad, ceil_mode: false, count_include_pad: shape.CountIncludePad);
        var magnitude = torch.nn.functional.avg_pool2d(tx.abs(), kernel, stride, pad, ceil_mode: false, count_include_pad: shape.CountIncludePad);
        Close.Assert(Values(y), actual, 1e-5f, 1e-7f, $"avgpool {shape}", Values(magnitude));
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void GlobalAvgPoolMatchesTorch(int caseIndex)
    {
        var rng = CaseRandom("globalpool", caseIndex);
        var shape = new ChannelShape(RandomData.Size(rng, Limits.MaxBatch), RandomData.Size(rng, Limits.MaxChannels),
            RandomData.Size(rng, Limits.MaxSpatial * Limits.MaxSpatial));
        var x = RandomData.Uniform(rng, shape.Size);
        using var dx = Upload(x);
        using var dy = Backend.Allocate((long)shape.N * shape.C);
        Backend.GlobalAvgPool(shape, dx, dy);
        var actual = Download(dy);

        using var scope = torch.NewDisposeScope();
        var tx = From(x, shape.N, shape.C, shape.Spatial);
        var y = tx.mean([2L]);
        var magnitude = tx.abs().mean([2L]);
        Close.Assert(Values(y), actual, 1e-5f, 1e-7f, $"global avgpool {shape}", Values(magnitude));
    }

    private (Pool2dShape Shape, float[] X) RandomPool(string family, int caseIndex, bool countIncludePad)
    {
        var rng = CaseRandom(family, caseIndex);
        for (; ; )
        {
            int r = rng.Next(1, 5), s = rng.Next(1, 5);
            var shape = new Pool2dShape(RandomData.Size(rng, Limits.MaxBatch), RandomData.Size(rng, Limits.MaxChannels),
                RandomData.Size(rng, Limits.MaxSpatial), RandomData.Size(rng, Limits.MaxSpatial), r, s,
                rng.Next(1, 4), rng.Next(1, 4), rng.Next(0, r / 2 + 1), rng.Next(0, s / 2 + 1), countIncludePad);
            if (ShapeRules.WindowFits(shape)) return (shape, RandomData.Uniform(rng, shape.InputSize, -3f, 3f));
        }
    }
}
