namespace Ompq.Kernels.Cpu;

/// <summary>Training ops of the convolution family: the shared argument checks (<see cref="TrainingArguments"/>), then the kernels.</summary>
public sealed unsafe partial class CpuKernels
{
    public void Conv2dBackwardData(in Conv2dShape shape, BufferSlice dy, BufferSlice weight, BufferSlice dx)
    {
        TrainingArguments.Conv2dBackwardData(shape, dy, weight, dx);
        Cpu.Conv2dBackwardData.Run(shape, Pointer(dy, "dy"), Pointer(weight, "weight"), Pointer(dx, "dx"), Threads, Isa);
    }

    public void Conv2dBackwardWeight(in Conv2dShape shape, BufferSlice x, BufferSlice dy, BufferSlice dw)
    {
        TrainingArguments.Conv2dBackwardWeight(shape, x, dy, dw);
        Cpu.Conv2dBackwardWeight.Run(shape, Pointer(x, "x"), Pointer(dy, "dy"), Pointer(dw, "dw"), Threads, Isa);
    }

    public void ChannelSum(long outer, int channels, long inner, BufferSlice x, BufferSlice sums)
    {
        TrainingArguments.ChannelSum(outer, channels, inner, x, sums);
        Cpu.ChannelSum.Compute(outer, channels, inner, Pointer(x, "x"), Pointer(sums, "sums"), Threads, Isa);
    }
}
