using Ompq.Kernels;

namespace Ompq.Runtime.Tensors;

/// <summary>
/// Reuses backend buffers of equal length across layers and across forwards, so a forward allocates nothing
/// once warm (large allocations are expensive: fresh pages fault on first touch). Not thread-safe.
/// </summary>
public sealed class BufferPool : IDisposable
{
    private readonly Dictionary<long, Stack<DeviceBuffer>> _free = new();
    private readonly List<DeviceBuffer> _all = new();

    public BufferPool(IKernels kernels) => Kernels = kernels;

    public IKernels Kernels { get; }

    /// <summary>Floats held by the pool (free and rented).</summary>
    public long AllocatedFloats { get; private set; }

    public DeviceBuffer Rent(long length)
    {
        if (_free.TryGetValue(length, out var stack) && stack.Count > 0) return stack.Pop();
        var buffer = Kernels.Allocate(length);
        _all.Add(buffer);
        AllocatedFloats += length;
        return buffer;
    }

    public void Return(DeviceBuffer buffer)
    {
        if (buffer.Owner != Kernels) throw new ArgumentException("buffer belongs to another backend");
        if (!_free.TryGetValue(buffer.Length, out var stack)) _free[buffer.Length] = stack = new Stack<DeviceBuffer>();
        stack.Push(buffer);
    }

    public void Dispose()
    {
        foreach (var b in _all) b.Dispose();
        _all.Clear();
        _free.Clear();
        AllocatedFloats = 0;
    }
}
