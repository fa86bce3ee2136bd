namespace Ompq.Kernels.Cpu;

/// <summary>Training ops of the convolution family: argument checks, then the kernels.</summary>
public sealed unsafe partial class CpuKernels
{
    public void Conv2dBackwardData(in Conv2dShape shape, BufferSlice dy, BufferSlice weight, BufferSlice dx)
        => throw new NotImplementedException("TODO(helper A1)");

    public void Conv2dBackwardWeight(in Conv2dShape shape, BufferSlice x, BufferSlice dy, BufferSlice dw)
        => throw new NotImplementedException("TODO(helper A1)");

    public void ChannelSum(long outer, int channels, long inner, BufferSlice x, BufferSlice sums)
        => throw new NotImplementedException("TODO(helper A1)");
}
