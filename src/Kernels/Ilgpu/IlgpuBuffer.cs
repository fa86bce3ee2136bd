using ILGPU;
using ILGPU.Runtime;

namespace Ompq.Kernels.Ilgpu;

/// <summary>fp32 memory on an ILGPU accelerator.</summary>
public sealed class IlgpuBuffer : DeviceBuffer
{
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _memory;

    /// <param name="memory">At least <paramref name="length"/> floats (one for an empty buffer: drivers differ on zero-byte allocations).</param>
    internal IlgpuBuffer(IlgpuKernels owner, MemoryBuffer1D<float, Stride1D.Dense> memory, long length)
        : base(owner, length)
    {
        _memory = memory;
    }

    internal ArrayView<float> View(long offset, long length) => _memory.View.SubView(offset, length).BaseView;

    protected override void Release() => _memory.Dispose();
}
