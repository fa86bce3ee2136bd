using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Ompq.Kernels.Ilgpu;

internal readonly struct MinMaxArgs
{
    public readonly int Channels;
    public readonly long Inner;
    /// <summary>outer·inner: how many elements each channel reduces over.</summary>
    public readonly long Count;
    public readonly int BlocksPerChannel;

    public MinMaxArgs(int channels, long inner, long count, int blocksPerChannel)
    {
        Channels = channels; Inner = inner; Count = count; BlocksPerChannel = blocksPerChannel;
    }
}

/// <summary>
/// Per-channel min and max of x viewed as outer×channels×inner, in two grouped tree reductions: a grid of
/// (blocks per channel × channels) groups each reduces a strided share of its channel into partials, then one group
/// per channel reduces the partials. Splitting a channel over many groups keeps the whole GPU busy for per-tensor
/// ranges (channels = 1) of large activations.
/// </summary>
internal static class MinMaxKernels
{
    public static void Partials(ArrayView<float> x, ArrayView<float> partialMin, ArrayView<float> partialMax, MinMaxArgs p)
    {
        var shared = SharedMemory.Allocate<float>(GroupReduce.Threads);
        int thread = Group.IdxX;
        int block = Grid.IdxX;
        int channel = Grid.IdxY;
        float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
        long step = (long)p.BlocksPerChannel * GroupReduce.Threads;
        for (long e = (long)block * GroupReduce.Threads + thread; e < p.Count; e += step)
        {
            long outer = e / p.Inner;
            long inner = e - outer * p.Inner;
            float v = x[(outer * p.Channels + channel) * p.Inner + inner];
            lo = XMath.Min(lo, v);
            hi = XMath.Max(hi, v);
        }
        float groupMin = GroupReduce.Min(shared, thread, lo);
        float groupMax = GroupReduce.Max(shared, thread, hi);
        if (thread == 0)
        {
            partialMin[(long)channel * p.BlocksPerChannel + block] = groupMin;
            partialMax[(long)channel * p.BlocksPerChannel + block] = groupMax;
        }
    }

    /// <summary>Grid x = channel.</summary>
    public static void Finish(ArrayView<float> partialMin, ArrayView<float> partialMax, ArrayView<float> min, ArrayView<float> max, int blocksPerChannel)
    {
        var shared = SharedMemory.Allocate<float>(GroupReduce.Threads);
        int thread = Group.IdxX;
        int channel = Grid.IdxX;
        long channelBase = (long)channel * blocksPerChannel;
        float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
        for (int i = thread; i < blocksPerChannel; i += GroupReduce.Threads)
        {
            lo = XMath.Min(lo, partialMin[channelBase + i]);
            hi = XMath.Max(hi, partialMax[channelBase + i]);
        }
        float channelMin = GroupReduce.Min(shared, thread, lo);
        float channelMax = GroupReduce.Max(shared, thread, hi);
        if (thread == 0)
        {
            min[channel] = channelMin;
            max[channel] = channelMax;
        }
    }
}

internal sealed class MinMaxLauncher : IDisposable
{
    /// <summary>Each group should get at least this many elements before a channel is split further.</summary>
    private const int ElementsPerGroup = GroupReduce.Threads * 16;
    private const int MaxBlocksPerChannel = 1024;

    private readonly IlgpuKernels _owner;
    private readonly ScratchBuffer _partials;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, MinMaxArgs> _partialsKernel;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> _finish;

    public MinMaxLauncher(IlgpuKernels owner)
    {
        _owner = owner;
        _partials = new ScratchBuffer(owner.Accelerator);
        _partialsKernel = owner.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, MinMaxArgs>(MinMaxKernels.Partials);
        _finish = owner.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(MinMaxKernels.Finish);
    }

    public void MinMax(long outer, int channels, long inner, BufferSlice x, BufferSlice min, BufferSlice max)
    {
        if (outer <= 0 || channels <= 0 || inner <= 0)
            throw new KernelArgumentException($"min/max needs outer, channels and inner > 0, got {outer}, {channels}, {inner}");
        long count = outer * inner;
        x.Require(count * channels, "x");
        min.Require(channels, "min");
        max.Require(channels, "max");
        int blocks = (int)Math.Clamp((count + ElementsPerGroup - 1) / ElementsPerGroup, 1, MaxBlocksPerChannel);
        var partials = _partials.Get(2L * channels * blocks);
        var partialMin = partials.SubView(0, (long)channels * blocks);
        var partialMax = partials.SubView((long)channels * blocks, (long)channels * blocks);
        var args = new MinMaxArgs(channels, inner, count, blocks);
        _partialsKernel(new KernelConfig(new Index2D(blocks, channels), new Index2D(GroupReduce.Threads, 1)),
            _owner.View(x, "x"), partialMin, partialMax, args);
        _finish(new KernelConfig(channels, GroupReduce.Threads),
            partialMin, partialMax, _owner.View(min, "min"), _owner.View(max, "max"), blocks);
    }

    public void Dispose() => _partials.Dispose();
}
