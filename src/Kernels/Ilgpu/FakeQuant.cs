using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Ompq.Kernels.Ilgpu;

internal readonly struct ChannelQuantArgs
{
    public readonly int PerChannel;
    public readonly float QMin;
    public readonly float QMax;

    public ChannelQuantArgs(int perChannel, float qMin, float qMax)
    {
        PerChannel = perChannel; QMin = qMin; QMax = qMax;
    }
}

/// <summary>
/// Fake quantization. Per tensor: one thread per element. Symmetric per channel: first one group per channel
/// reduces max|w| (shared-memory tree) into the scales (1 for a channel of zeros), then one thread per element quantizes with its channel's
/// scale. Rounding is half to even, as torch.round.
/// </summary>
internal static class FakeQuantKernels
{
    public static void PerTensor(Index1D index, ArrayView<float> x, ArrayView<float> y, QuantArgs quant)
        => y[index] = QuantArgs.FakeQuant(quant, x[index]);

    /// <summary>Grid x = channel; writes scale_c = max|w_c| / qmax.</summary>
    public static void ChannelScales(ArrayView<float> w, ArrayView<float> scales, ChannelQuantArgs p)
    {
        var shared = SharedMemory.Allocate<float>(GroupReduce.Threads);
        int thread = Group.IdxX;
        int channel = Grid.IdxX;
        long channelBase = (long)channel * p.PerChannel;
        float absMax = 0;
        for (int i = thread; i < p.PerChannel; i += GroupReduce.Threads)
            absMax = XMath.Max(absMax, XMath.Abs(w[channelBase + i]));
        float channelMax = GroupReduce.Max(shared, thread, absMax);
        // A channel of zeros gets scale 1 (as QuantParams.Symmetric does) and quantizes to zeros.
        if (thread == 0) scales[channel] = channelMax > 0f ? channelMax / p.QMax : 1f;
    }

    public static void PerChannel(Index1D index, ArrayView<float> w, ArrayView<float> scales, ArrayView<float> y, ChannelQuantArgs p)
    {
        float scale = scales[index / p.PerChannel];
        float q = XMath.Min(XMath.Max(XMath.RoundToEven(w[index] / scale), p.QMin), p.QMax);
        y[index] = q * scale;
    }
}

internal sealed class FakeQuantLauncher : IDisposable
{
    private readonly IlgpuKernels _owner;
    private readonly ScratchBuffer _scales;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, QuantArgs> _perTensor;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ChannelQuantArgs> _channelScales;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ChannelQuantArgs> _perChannel;

    public FakeQuantLauncher(IlgpuKernels owner)
    {
        _owner = owner;
        var accelerator = owner.Accelerator;
        _scales = new ScratchBuffer(accelerator);
        _perTensor = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, QuantArgs>(FakeQuantKernels.PerTensor);
        _channelScales = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ChannelQuantArgs>(FakeQuantKernels.ChannelScales);
        _perChannel = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ChannelQuantArgs>(FakeQuantKernels.PerChannel);
    }

    public void PerTensor(in QuantParams quant, BufferSlice x, BufferSlice y, long length)
    {
        var args = QuantArgs.From(quant);
        ElementwiseLauncher.CheckLength(length);
        x.Require(length, "x");
        y.Require(length, "y");
        if (length == 0) return;
        _perTensor((int)length, _owner.View(x, "x"), _owner.View(y, "y"), args);
    }

    public void WeightsPerChannel(int channels, long perChannel, int bits, BufferSlice w, BufferSlice y, BufferSlice? scales)
    {
        QuantParams.CheckBits(bits);
        if (channels <= 0 || perChannel <= 0)
            throw new KernelArgumentException($"per-channel fake quant needs channels > 0 and perChannel > 0, got {channels} and {perChannel}");
        long size = channels * perChannel;
        if (size > int.MaxValue) throw new KernelArgumentException($"weight tensor of {size} floats is too large for one launch");
        w.Require(size, "w");
        y.Require(size, "y");
        scales?.Require(channels, "scales");
        int qmax = (1 << (bits - 1)) - 1;
        var args = new ChannelQuantArgs((int)perChannel, -qmax - 1, qmax);
        var scaleView = scales is { } s ? _owner.View(s, "scales") : _scales.Get(channels);
        var wView = _owner.View(w, "w");
        _channelScales(new KernelConfig(channels, GroupReduce.Threads), wView, scaleView, args);
        _perChannel((int)size, wView, scaleView, _owner.View(y, "y"), args);
    }

    public void Dispose() => _scales.Dispose();
}
