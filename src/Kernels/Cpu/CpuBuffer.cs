namespace Ompq.Kernels.Cpu;

/// <summary>A 64-byte-aligned block of native fp32 memory; disposing hands the block back to the owner's pool.</summary>
public sealed unsafe class CpuBuffer : DeviceBuffer
{
    private readonly CpuBufferPool pool;

    internal CpuBuffer(CpuKernels owner, CpuBufferPool pool, long length, float* pointer)
        : base(owner, length)
    {
        this.pool = pool;
        Pointer = pointer;
    }

    /// <summary>First float of the buffer; valid until the buffer is disposed.</summary>
    public float* Pointer { get; private set; }

    protected override void Release()
    {
        pool.Return(Pointer, Length);
        Pointer = null;
    }
}
