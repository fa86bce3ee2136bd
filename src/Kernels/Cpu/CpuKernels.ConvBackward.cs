namespace Ompq.Kernels.Cpu;

/// <summary>Training ops of the convolution family: argument checks, then the kernels.</summary>
public sealed unsafe partial class CpuKernels
{
    public void Conv2dBackwardData(in Conv2dShape shape, BufferSlice dy, BufferSlice weight, BufferSlice dx)
    {
        shape.Validate();
        dy.Require(shape.OutputSize, "dy");
        weight.Require(shape.WeightSize, "weight");
        dx.Require(shape.InputSize, "dx");
        Cpu.Conv2dBackwardData.Run(shape, Pointer(dy, "dy"), Pointer(weight, "weight"), Pointer(dx, "dx"), Threads, Isa);
    }

    public void Conv2dBackwardWeight(in Conv2dShape shape, BufferSlice x, BufferSlice dy, BufferSlice dw)
    {
        shape.Validate();
        x.Require(shape.InputSize, "x");
        dy.Require(shape.OutputSize, "dy");
        dw.Require(shape.WeightSize, "dw");
        Cpu.Conv2dBackwardWeight.Run(shape, Pointer(x, "x"), Pointer(dy, "dy"), Pointer(dw, "dw"), Threads, Isa);
    }

    public void ChannelSum(long outer, int channels, long inner, BufferSlice x, BufferSlice sums)
    {
        if (outer <= 0 || channels <= 0 || inner <= 0)
            throw new KernelArgumentException($"channel sum needs positive sizes, got outer={outer} channels={channels} inner={inner}");
        x.Require(outer * channels * inner, "x");
        sums.Require(channels, "sums");
        Cpu.ChannelSum.Compute(outer, channels, inner, Pointer(x, "x"), Pointer(sums, "sums"), Threads);
    }
}
