using System.Runtime.InteropServices;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Keeps freed blocks by exact size and hands them out again. Large blocks from the C allocator are fresh
/// mappings each time (glibc maps anything over its mmap threshold anew), so every forward pass would
/// otherwise page-fault its activations in again.
/// </summary>
internal sealed unsafe class CpuBufferPool : IDisposable
{
    private const nuint Alignment = 64;
    private readonly Dictionary<long, Stack<nint>> free = new();
    private readonly object gate = new();
    private long pooledBytes;
    private bool disposed;

    /// <summary>Bytes held in the pool beyond which returned blocks are freed instead of kept.</summary>
    public long Capacity { get; init; } = 2L << 30;

    public float* Rent(long length)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (free.TryGetValue(length, out var stack) && stack.Count > 0)
            {
                pooledBytes -= length * sizeof(float);
                return (float*)stack.Pop();
            }
        }
        return (float*)NativeMemory.AlignedAlloc(Math.Max(Bytes(length), 64), Alignment);
    }

    public void Return(float* pointer, long length)
    {
        if (pointer == null) return;
        lock (gate)
        {
            if (!disposed && pooledBytes + length * sizeof(float) <= Capacity)
            {
                if (!free.TryGetValue(length, out var stack)) free[length] = stack = new Stack<nint>();
                stack.Push((nint)pointer);
                pooledBytes += length * sizeof(float);
                return;
            }
        }
        NativeMemory.AlignedFree(pointer);
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            foreach (var stack in free.Values)
                while (stack.Count > 0) NativeMemory.AlignedFree((void*)stack.Pop());
            free.Clear();
            pooledBytes = 0;
        }
    }

    private static nuint Bytes(long length) => (nuint)(length * sizeof(float));
}
