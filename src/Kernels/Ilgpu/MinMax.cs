using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Ompq.Kernels.Ilgpu;

internal readonly struct MinMaxArgs
{
    public readonly int Channels;
    public readonly int Inner;
    /// <summary>outer·inner: how many elements each channel reduces over.</summary>
    public readonly int Count;
    public readonly int BlocksPerChannel;

    public MinMaxArgs(int channels, int inner, int count, int blocksPerChannel)
    {
        Channels = channels; Inner = inner; Count = count; BlocksPerChannel = blocksPerChannel;
    }
}

/// <summary>
/// Per-channel min and max of x viewed as outer×channels×inner, in two grouped tree reductions: a grid of
/// (channels × blocks per channel) groups each reduces a strided share of its channel into partials, then one group
/// per channel reduces the partials. Splitting a channel over many groups keeps the whole GPU busy for per-tensor
/// ranges (channels = 1) of large activations.
/// </summary>
internal static class MinMaxKernels
{
    public static void Partials(ArrayView<float> x, ArrayView<float> partialMin, ArrayView<float> partialMax, MinMaxArgs p)
    {
        var sharedMin = SharedMemory.Allocate<float>(GroupReduce.Threads);
        var sharedMax = SharedMemory.Allocate<float>(GroupReduce.Threads);
        int thread = Group.IdxX;
        int channel = Grid.IdxX;
        int block = Grid.IdxY;
        float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
        int step = p.BlocksPerChannel * GroupReduce.Threads;
        int first = block * GroupReduce.Threads + thread;
        if (p.Count == p.Inner)
        {
            // One outer slice: the channel is a contiguous run.
            long channelBase = (long)channel * p.Inner;
            for (int e = first; e < p.Count; e += step)
            {
                float v = x[channelBase + e];
                lo = XMath.Min(lo, v);
                hi = XMath.Max(hi, v);
            }
        }
        else
        {
            for (int e = first; e < p.Count; e += step)
            {
                int outer = e / p.Inner;
                int inner = e - outer * p.Inner;
                float v = x[((long)outer * p.Channels + channel) * p.Inner + inner];
                lo = XMath.Min(lo, v);
                hi = XMath.Max(hi, v);
            }
        }
        GroupReduce.MinMax(sharedMin, sharedMax, thread, ref lo, ref hi);
        if (thread == 0)
        {
            partialMin[(long)channel * p.BlocksPerChannel + block] = lo;
            partialMax[(long)channel * p.BlocksPerChannel + block] = hi;
        }
    }

    /// <summary>Grid x = channel.</summary>
    public static void Finish(ArrayView<float> partialMin, ArrayView<float> partialMax, ArrayView<float> min, ArrayView<float> max, int blocksPerChannel)
    {
        var sharedMin = SharedMemory.Allocate<float>(GroupReduce.Threads);
        var sharedMax = SharedMemory.Allocate<float>(GroupReduce.Threads);
        int thread = Group.IdxX;
        int channel = Grid.IdxX;
        long channelBase = (long)channel * blocksPerChannel;
        float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
        for (int i = thread; i < blocksPerChannel; i += GroupReduce.Threads)
        {
            lo = XMath.Min(lo, partialMin[channelBase + i]);
            hi = XMath.Max(hi, partialMax[channelBase + i]);
        }
        GroupReduce.MinMax(sharedMin, sharedMax, thread, ref lo, ref hi);
        if (thread == 0)
        {
            min[channel] = lo;
            max[channel] = hi;
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
        if (count > int.MaxValue - MaxBlocksPerChannel * GroupReduce.Threads)
            throw new KernelArgumentException($"min/max over {count} elements per channel is too large for one launch");
        x.Require(count * channels, "x");
        min.Require(channels, "min");
        max.Require(channels, "max");
        int blocks = (int)Math.Clamp((count + ElementsPerGroup - 1) / ElementsPerGroup, 1, MaxBlocksPerChannel);
        var partials = _partials.Get(2L * channels * blocks);
        var partialMin = partials.SubView(0, (long)channels * blocks);
        var partialMax = partials.SubView((long)channels * blocks, (long)channels * blocks);
        var args = new MinMaxArgs(channels, (int)inner, (int)count, blocks);
        _partialsKernel(new KernelConfig(new Index2D(channels, blocks), new Index2D(GroupReduce.Threads, 1)),
            _owner.View(x, "x"), partialMin, partialMax, args);
        _finish(new KernelConfig(channels, GroupReduce.Threads),
            partialMin, partialMax, _owner.View(min, "min"), _owner.View(max, "max"), blocks);
    }

    public void Dispose() => _partials.Dispose();
}
