using Ompq.Kernels;

namespace Ompq.Runtime.Tensors;

/// <summary>
/// Reuses backend buffers across layers and across forwards, so a forward allocates nothing once warm (large
/// allocations are expensive: fresh pages fault on first touch). A request takes the smallest free buffer that
/// holds it and is at most twice its size (callers use a slice), else a new one. Not thread-safe.
/// </summary>
public sealed class BufferPool : IDisposable
{
    private readonly List<DeviceBuffer> _free = new();
    private readonly List<DeviceBuffer> _all = new();

    public BufferPool(IKernels kernels) => Kernels = kernels;

    public IKernels Kernels { get; }

    /// <summary>Floats held by the pool (free and rented).</summary>
    public long AllocatedFloats { get; private set; }

    /// <summary>A buffer of at least <paramref name="length"/> floats (possibly longer).</summary>
    public DeviceBuffer Rent(long length)
    {
        int best = BestFit(_free.Select(b => b.Length).ToArray(), length);
        if (best >= 0)
        {
            var found = _free[best];
            _free.RemoveAt(best);
            return found;
        }
        var buffer = Kernels.Allocate(length);
        _all.Add(buffer);
        AllocatedFloats += length;
        return buffer;
    }

    /// <summary>
    /// The rule <see cref="Rent"/> follows: the index of the smallest free length that holds <paramref name="length"/>
    /// and is at most twice it, or -1 for a new buffer. Shared with the memory estimate, which replays the forward.
    /// </summary>
    public static int BestFit(IReadOnlyList<long> freeLengths, long length)
    {
        int best = -1;
        for (int i = 0; i < freeLengths.Count; i++)
        {
            long l = freeLengths[i];
            if (l >= length && l <= 2 * length && (best < 0 || l < freeLengths[best])) best = i;
        }
        return best;
    }

    public void Return(DeviceBuffer buffer)
    {
        if (buffer.Owner != Kernels) throw new ArgumentException("buffer belongs to another backend");
        _free.Add(buffer);
    }

    public void Dispose()
    {
        foreach (var b in _all) b.Dispose();
        _all.Clear();
        _free.Clear();
        AllocatedFloats = 0;
    }
}
