namespace Ompq.Kernels;

/// <summary>A block of fp32 memory owned by one backend. Disposing frees (or returns to the arena) the memory.</summary>
public abstract class DeviceBuffer : IDisposable
{
    protected DeviceBuffer(IKernels owner, long length)
    {
        if (length < 0) throw new KernelArgumentException($"buffer length must be >= 0, got {length}");
        Owner = owner;
        Length = length;
    }

    public IKernels Owner { get; }
    public long Length { get; }
    public bool IsDisposed { get; private set; }

    public BufferSlice Slice(long offset, long length) => new(this, offset, length);
    public BufferSlice All => new(this, 0, Length);

    public static implicit operator BufferSlice(DeviceBuffer buffer) => buffer.All;

    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        Release();
        GC.SuppressFinalize(this);
    }

    protected abstract void Release();
}

/// <summary>A window [Offset, Offset + Length) of a <see cref="DeviceBuffer"/>.</summary>
public readonly record struct BufferSlice
{
    public BufferSlice(DeviceBuffer buffer, long offset, long length)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (offset < 0 || length < 0 || offset + length > buffer.Length)
            throw new KernelArgumentException(
                $"slice [{offset}, {offset + length}) is outside a buffer of {buffer.Length} floats");
        Buffer = buffer;
        Offset = offset;
        Length = length;
    }

    public DeviceBuffer Buffer { get; }
    public long Offset { get; }
    public long Length { get; }

    public BufferSlice Slice(long offset, long length) => new(Buffer, Offset + offset, length);

    /// <summary>Throws unless the slice holds at least <paramref name="required"/> floats.</summary>
    public void Require(long required, string name)
    {
        if (Length < required)
            throw new KernelArgumentException($"{name} holds {Length} floats, expected at least {required}");
    }
}
