using ILGPU;
using ILGPU.Runtime;

namespace Ompq.Kernels.Ilgpu;

/// <summary>fp32 memory on an ILGPU accelerator.</summary>
public sealed class IlgpuBuffer : DeviceBuffer
{
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _memory;

    internal IlgpuBuffer(IlgpuKernels owner, MemoryBuffer1D<float, Stride1D.Dense> memory)
        : base(owner, memory.Length)
    {
        _memory = memory;
    }

    internal ArrayView<float> View(long offset, long length) => _memory.View.SubView(offset, length).BaseView;

    protected override void Release() => _memory.Dispose();
}
