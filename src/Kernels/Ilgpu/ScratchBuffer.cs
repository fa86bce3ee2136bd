using ILGPU;
using ILGPU.Runtime;

namespace Ompq.Kernels.Ilgpu;

/// <summary>
/// Device memory a launcher keeps for intermediate results (partial sums, partial extrema) and reuses across calls.
/// Work on one stream runs in order, so reuse is safe; growing waits for queued work before freeing the old block.
/// </summary>
internal sealed class ScratchBuffer : IDisposable
{
    private readonly Accelerator _accelerator;
    private MemoryBuffer1D<float, Stride1D.Dense>? _memory;

    public ScratchBuffer(Accelerator accelerator) => _accelerator = accelerator;

    public ArrayView<float> Get(long length)
    {
        if (_memory is null || _memory.Length < length)
        {
            if (_memory is not null)
            {
                _accelerator.Synchronize();
                _memory.Dispose();
            }
            _memory = _accelerator.Allocate1D<float>(Math.Max(length, 1024));
        }
        return _memory.View.SubView(0, length).BaseView;
    }

    public void Dispose() => _memory?.Dispose();
}
