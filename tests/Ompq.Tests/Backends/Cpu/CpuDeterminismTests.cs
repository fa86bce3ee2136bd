using System.Runtime.InteropServices;
using Ompq.Kernels;
using Ompq.Kernels.Cpu;
using Ompq.Tests.Reference;

namespace Ompq.Tests.Backends.Cpu;

/// <summary>
/// The training contract's determinism on the cpu backend: reductions run in an order fixed by the shape, so one
/// worker and three workers must give bit-identical gradients and sums, on every instruction set this CPU runs.
/// </summary>
public sealed class CpuDeterminismTests
{
    private static IEnumerable<object[]> Shapes =>
    [
        [Conv2dShape.Square(9, 16, 28, 28, 16, 3, pad: 1)],
        [Conv2dShape.Square(7, 16, 28, 28, 32, 3, stride: 2, pad: 1)],
        [Conv2dShape.Square(5, 32, 14, 14, 64, 1, stride: 2)],
        [Conv2dShape.Square(6, 1, 28, 28, 16, 3, pad: 1)],
        [Conv2dShape.Square(4, 24, 13, 11, 48, 3, pad: 2, dilation: 2, groups: 3)],
        [Conv2dShape.Square(5, 32, 15, 15, 32, 3, stride: 2, pad: 1, groups: 32)],
        [Conv2dShape.Square(3, 8, 30, 30, 16, 5, pad: 2, groups: 8)],
    ];

    public static IEnumerable<object[]> ConvShapes =>
        from shape in Shapes
        from isa in Enum.GetValues<CpuIsa>()
        where CpuIsas.IsSupported(isa)
        select new[] { shape[0], isa };

    [Theory]
    [MemberData(nameof(ConvShapes))]
    public void ConvBackwardDoesNotDependOnTheWorkerCount(Conv2dShape shape, CpuIsa isa)
    {
        var rng = new Random(shape.GetHashCode());
        var x = RandomData.Uniform(rng, shape.InputSize);
        var w = RandomData.Uniform(rng, shape.WeightSize);
        var dy = RandomData.Uniform(rng, shape.OutputSize);
        var (dx1, dw1) = ConvBackward(1, isa, shape, x, w, dy);
        var (dx3, dw3) = ConvBackward(3, isa, shape, x, w, dy);
        AssertBitIdentical(dx1, dx3, $"dx {shape}");
        AssertBitIdentical(dw1, dw3, $"dw {shape}");
    }

    [Theory]
    [InlineData(128L, 16, 784L)]
    [InlineData(300L, 10, 1L)]
    [InlineData(1L, 1, 100_000L)]
    [InlineData(5L, 3, 70_001L)]
    [InlineData(1000L, 7, 3L)]
    public void ChannelSumDoesNotDependOnTheWorkerCount(long outer, int channels, long inner)
    {
        var x = RandomData.Uniform(new Random(channels), outer * channels * inner);
        AssertBitIdentical(ChannelSum(1, outer, channels, inner, x), ChannelSum(3, outer, channels, inner, x),
            $"channel sum {outer}×{channels}×{inner}");
    }

    private static (float[] Dx, float[] Dw) ConvBackward(int threads, CpuIsa isa, Conv2dShape shape, float[] x, float[] w, float[] dy)
    {
        using var kernels = new CpuKernels(threads, isa);
        using var bx = Upload(kernels, x);
        using var bw = Upload(kernels, w);
        using var bdy = Upload(kernels, dy);
        using var bdx = kernels.Allocate(shape.InputSize);
        using var bdw = kernels.Allocate(shape.WeightSize);
        kernels.Conv2dBackwardData(shape, bdy, bw, bdx);
        kernels.Conv2dBackwardWeight(shape, bx, bdy, bdw);
        return (Download(kernels, bdx), Download(kernels, bdw));
    }

    private static float[] ChannelSum(int threads, long outer, int channels, long inner, float[] x)
    {
        using var kernels = new CpuKernels(threads);
        using var bx = Upload(kernels, x);
        using var sums = kernels.Allocate(channels);
        kernels.ChannelSum(outer, channels, inner, bx, sums);
        return Download(kernels, sums);
    }

    private static DeviceBuffer Upload(IKernels kernels, float[] data)
    {
        var buffer = kernels.Allocate(data.Length);
        kernels.Upload(data, buffer);
        return buffer;
    }

    private static float[] Download(IKernels kernels, DeviceBuffer buffer)
    {
        var result = new float[buffer.Length];
        kernels.Download(buffer, result);
        return result;
    }

    private static void AssertBitIdentical(float[] expected, float[] actual, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        int first = MemoryMarshal.Cast<float, int>(expected).CommonPrefixLength(MemoryMarshal.Cast<float, int>(actual));
        Assert.True(first == expected.Length, $"{context}: differs first at [{first}]");
    }
}
