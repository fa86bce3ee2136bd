using Ompq.Kernels;

namespace Ompq.Runtime.Quantization;

/// <summary>
/// Per-output-channel weight fake quantization with given scales: each channel through the per-tensor kernel on the
/// symmetric grid of <see cref="IKernels.FakeQuantWeightsPerChannel"/>, so fixed and derived scales round alike.
/// </summary>
public static class FixedScaleWeightQuant
{
    public static QuantParams ChannelGrid(int bits, float scale)
    {
        int qmax = (1 << (bits - 1)) - 1;
        return new QuantParams(scale, 0, -qmax - 1, qmax);
    }

    public static void Apply(IKernels kernels, int bits, float[] scales, BufferSlice weight, BufferSlice quantized)
    {
        long perChannel = weight.Length / scales.Length;
        for (int c = 0; c < scales.Length; c++)
            kernels.FakeQuantPerTensor(ChannelGrid(bits, scales[c]), weight.Slice(c * perChannel, perChannel),
                quantized.Slice(c * perChannel, perChannel), perChannel);
    }
}
