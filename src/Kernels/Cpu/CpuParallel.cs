namespace Ompq.Kernels.Cpu;

/// <summary>One parallel level per op: split work items over at most <c>threads</c> workers.</summary>
internal static class CpuParallel
{
    /// <summary>Runs body(i) for i in [0, count); serially when one worker suffices.</summary>
    public static void For(int count, int threads, Action<int> body)
    {
        if (count <= 0) return;
        if (threads <= 1 || count == 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
    }

    /// <summary>Splits [0, total) into contiguous chunks (about <c>chunksPerThread</c> per worker) and runs body(start, end) on each.</summary>
    public static void ForRange(long total, int threads, long minChunk, Action<long, long> body, int chunksPerThread = 1)
    {
        if (total <= 0) return;
        long chunks = Math.Max(1, Math.Min((long)threads * chunksPerThread, total / Math.Max(1, minChunk)));
        if (chunks == 1)
        {
            body(0, total);
            return;
        }
        long size = (total + chunks - 1) / chunks;
        int count = (int)((total + size - 1) / size);
        For(count, threads, i => body(i * size, Math.Min(total, (i + 1) * size)));
    }
}
