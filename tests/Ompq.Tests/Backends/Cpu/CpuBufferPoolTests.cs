using Ompq.Kernels;
using Ompq.Kernels.Cpu;

namespace Ompq.Tests.Backends.Cpu;

/// <summary>CPU-only behaviour: aligned native buffers, reuse of freed blocks, ownership checks.</summary>
public sealed unsafe class CpuBufferPoolTests
{
    [Fact]
    public void BuffersAre64ByteAlignedAndFreedBlocksAreReusedBySize()
    {
        using var kernels = new CpuKernels(threads: 1);
        nint first;
        using (var buffer = (CpuBuffer)kernels.Allocate(1_000_003))
        {
            first = (nint)buffer.Pointer;
            Assert.Equal(0, first % 64);
        }
        using var other = (CpuBuffer)kernels.Allocate(999);
        using var again = (CpuBuffer)kernels.Allocate(1_000_003);
        Assert.Equal(first, (nint)again.Pointer);
        Assert.NotEqual(first, (nint)other.Pointer);
    }

    [Fact]
    public void BuffersOfAnotherBackendOrDisposedOnesAreRejected()
    {
        using var a = new CpuKernels(threads: 1);
        using var b = new CpuKernels(threads: 1);
        using var foreign = b.Allocate(4);
        var own = a.Allocate(4);
        Assert.Contains("not allocated by this cpu backend", Assert.Throws<KernelArgumentException>(() => a.Fill(foreign, 1f)).Message);
        own.Dispose();
        Assert.Contains("disposed", Assert.Throws<KernelArgumentException>(() => a.Fill(own, 1f)).Message);
    }

    [Fact]
    public void InfoNamesTheBackendAndItsWorkers()
    {
        using var kernels = new CpuKernels(threads: 3);
        Assert.Equal("cpu", kernels.Info.Id);
        Assert.Equal(3, kernels.Info.ComputeUnits);
        using var defaults = new CpuKernels();
        Assert.Equal(Environment.ProcessorCount, defaults.Threads);
        Assert.Throws<KernelArgumentException>(() => new CpuKernels(threads: -1));
    }
}
