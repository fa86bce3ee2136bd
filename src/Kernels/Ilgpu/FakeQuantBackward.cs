using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Ompq.Kernels.Ilgpu;

/// <summary>
/// Straight-through gradients of fake quantization, one thread per element: dy passes where the forward's clamp
/// does not bind, i.e. the rounded grid position lies inside the range (torch's cachemask), else 0. Position by
/// division and round half to even exactly as the forward, so the mask agrees with what the forward clamped
/// (a channel's largest weight can land at qmax·(1 + ε) before rounding). A NaN position passes nothing.
/// </summary>
internal static class FakeQuantBackwardKernels
{
    public static void PerTensor(Index1D index, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dx, QuantArgs quant)
    {
        float position = XMath.RoundToEven(x[index] / quant.Scale) + quant.ZeroPoint;
        dx[index] = position >= quant.QMin && position <= quant.QMax ? dy[index] : 0f;
    }

    /// <summary>A zero scale (a channel the forward never calibrated) blocks the whole channel.</summary>
    public static void PerChannel(Index1D index, ArrayView<float> w, ArrayView<float> scales, ArrayView<float> dy, ArrayView<float> dw, ChannelQuantArgs p)
    {
        float scale = scales[index / p.PerChannel];
        float position = XMath.RoundToEven(w[index] / scale);
        bool passes = scale != 0f && position >= p.QMin && position <= p.QMax;
        dw[index] = passes ? dy[index] : 0f;
    }
}

internal sealed class FakeQuantBackwardLauncher
{
    private readonly IlgpuKernels _owner;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, QuantArgs> _perTensor;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ChannelQuantArgs> _perChannel;

    public FakeQuantBackwardLauncher(IlgpuKernels owner)
    {
        _owner = owner;
        var accelerator = owner.Accelerator;
        _perTensor = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, QuantArgs>(FakeQuantBackwardKernels.PerTensor);
        _perChannel = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ChannelQuantArgs>(
            FakeQuantBackwardKernels.PerChannel);
    }

    public void PerTensor(in QuantParams quant, BufferSlice x, BufferSlice dy, BufferSlice dx, long length)
    {
        TrainingArguments.FakeQuantPerTensorBackward(quant, x, dy, dx, length);
        ElementwiseLauncher.CheckLength(length);
        var args = QuantArgs.From(quant);
        if (length == 0) return;
        _perTensor((int)length, _owner.View(x, "x"), _owner.View(dy, "dy"), _owner.View(dx, "dx"), args);
    }

    public void WeightsPerChannel(int channels, long perChannel, int bits, BufferSlice w, BufferSlice scales, BufferSlice dy, BufferSlice dw)
    {
        TrainingArguments.FakeQuantWeightsPerChannelBackward(channels, perChannel, bits, w, scales, dy, dw);
        long size = channels * perChannel;
        if (size > int.MaxValue) throw new KernelArgumentException($"weight tensor of {size} floats is too large for one launch");
        int qmax = (1 << (bits - 1)) - 1;
        _perChannel((int)size, _owner.View(w, "w"), _owner.View(scales, "scales"), _owner.View(dy, "dy"), _owner.View(dw, "dw"),
            new ChannelQuantArgs((int)perChannel, -qmax - 1, qmax));
    }
}
