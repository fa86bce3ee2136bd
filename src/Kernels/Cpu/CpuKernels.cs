namespace Ompq.Kernels.Cpu;

/// <summary>
/// The SIMD multithreaded CPU backend: AVX2/FMA kernels, AVX-512 paths for the GEMM and the hot convolutions, and a
/// portable path without x86 intrinsics for other CPUs (ARM64 included); <see cref="Isa"/> says which one runs. Memory is native and 64-byte aligned; freed buffers are
/// pooled by size and handed out again. Ops run synchronously on the calling thread plus a bounded number
/// of workers, so <see cref="Synchronize"/> has nothing to wait for.
/// This file: construction, memory and transfers; the ops are in CpuKernels.Ops.cs.
/// </summary>
public sealed unsafe partial class CpuKernels : IKernels
{
    private readonly CpuBufferPool pool = new();
    private bool disposed;

    /// <param name="threads">Worker count for one op; 0 means <see cref="Environment.ProcessorCount"/>.</param>
    /// <param name="isa">Instruction set of the kernels that have several paths; null means <see cref="CpuIsas.Default"/>.</param>
    public CpuKernels(int threads = 0, CpuIsa? isa = null)
    {
        if (threads < 0) throw new KernelArgumentException($"threads must be >= 0, got {threads}");
        if (isa is { } requested && !CpuIsas.IsSupported(requested))
            throw new KernelArgumentException($"this CPU does not support {CpuIsas.Name(requested)}");
        Threads = threads == 0 ? Environment.ProcessorCount : threads;
        Isa = isa ?? CpuIsas.Default;
        Info = new BackendInfo("cpu", $"{CpuName()} ({CpuIsas.Name(Isa)})", GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, Threads);
    }

    public BackendInfo Info { get; }

    /// <summary>How many workers one op may use.</summary>
    public int Threads { get; }

    /// <summary>The instruction set of the kernels that have several paths.</summary>
    public CpuIsa Isa { get; }

    public DeviceBuffer Allocate(long length)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (length < 0) throw new KernelArgumentException($"buffer length must be >= 0, got {length}");
        return new CpuBuffer(this, pool, length, pool.Rent(length));
    }

    public void Upload(ReadOnlySpan<float> source, BufferSlice destination)
    {
        float* dst = Pointer(destination, nameof(destination));
        destination.Require(source.Length, nameof(destination));
        source.CopyTo(new Span<float>(dst, source.Length));
    }

    public void Download(BufferSlice source, Span<float> destination)
    {
        float* src = Pointer(source, nameof(source));
        if (destination.Length < source.Length)
            throw new KernelArgumentException($"destination holds {destination.Length} floats, expected at least {source.Length}");
        new ReadOnlySpan<float>(src, checked((int)source.Length)).CopyTo(destination);
    }

    public void Fill(BufferSlice destination, float value)
        => Elementwise.Fill(Pointer(destination, nameof(destination)), destination.Length, value, Threads);

    public void Copy(BufferSlice source, BufferSlice destination)
    {
        float* src = Pointer(source, nameof(source));
        float* dst = Pointer(destination, nameof(destination));
        destination.Require(source.Length, nameof(destination));
        Buffer.MemoryCopy(src, dst, destination.Length * sizeof(float), source.Length * sizeof(float));
    }

    public void Synchronize() => ObjectDisposedException.ThrowIf(disposed, this);

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        pool.Dispose();
    }

    /// <summary>The slice's first float, after checking it belongs to this backend and is still alive.</summary>
    private float* Pointer(BufferSlice slice, string name)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (slice.Buffer is not CpuBuffer buffer || !ReferenceEquals(buffer.Owner, this))
            throw new KernelArgumentException($"{name} was not allocated by this cpu backend");
        if (buffer.IsDisposed) throw new KernelArgumentException($"{name} has been disposed");
        return buffer.Pointer + slice.Offset;
    }

    private float* Pointer(BufferSlice? slice, string name) => slice is { } s ? Pointer(s, name) : null;

    private static string CpuName()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal))
                    return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return $"{Environment.ProcessorCount}-core CPU";
    }
}
