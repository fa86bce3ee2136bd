using ILGPU;
using ILGPU.Runtime;

namespace Ompq.Kernels.Ilgpu;

/// <summary>The view of a tensor as outer × channels × inner that per-channel reductions walk.</summary>
internal readonly struct ChannelLayout
{
    public readonly long Outer;
    public readonly int Channels;
    public readonly long Inner;

    public ChannelLayout(long outer, int channels, long inner)
    {
        Outer = outer; Channels = channels; Inner = inner;
    }

    public long PerChannel => Outer * Inner;

    /// <summary>Offset of the <paramref name="i"/>-th element (outer-major) of <paramref name="channel"/>.</summary>
    public static long Offset(ChannelLayout layout, int channel, long i)
    {
        long outer = i / layout.Inner;
        return (outer * layout.Channels + channel) * layout.Inner + (i - outer * layout.Inner);
    }
}

/// <summary>
/// Per-channel sums (bias gradients): one group per channel, each thread summing a strided share, then a
/// shared-memory tree; the order depends on the shape only. With few channels and large batches most of the GPU
/// idles: a faster design splits each channel over several groups and sums the partials in a second, fixed-order
/// pass (as <see cref="MinMaxKernels"/> does for extrema).
/// </summary>
internal static class ChannelSumKernels
{
    public static void Sum(ArrayView<float> x, ArrayView<float> sums, ChannelLayout layout)
    {
        var shared = SharedMemory.Allocate<float>(GroupReduce.Threads);
        int thread = Group.IdxX;
        int channel = Grid.IdxX;
        long count = layout.PerChannel;
        float sum = 0;
        for (long i = thread; i < count; i += GroupReduce.Threads) sum += x[ChannelLayout.Offset(layout, channel, i)];
        float total = GroupReduce.Sum(shared, thread, sum);
        if (thread == 0) sums[channel] = total;
    }
}

internal sealed class ChannelSumLauncher
{
    private readonly IlgpuKernels _owner;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ChannelLayout> _sum;

    public ChannelSumLauncher(IlgpuKernels owner)
    {
        _owner = owner;
        _sum = owner.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ChannelLayout>(ChannelSumKernels.Sum);
    }

    public void ChannelSum(long outer, int channels, long inner, BufferSlice x, BufferSlice sums)
    {
        TrainingArguments.ChannelSum(outer, channels, inner, x, sums);
        _sum(new KernelConfig(channels, GroupReduce.Threads), _owner.View(x, "x"), _owner.View(sums, "sums"), new ChannelLayout(outer, channels, inner));
    }
}
