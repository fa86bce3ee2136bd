namespace Ompq.Kernels.Cpu.Integer;

/// <summary>
/// A convolution that needs im2col, done a chunk of output rows at a time: each worker lays out its chunk's windows in
/// its own small scratch slot and multiplies them by every output channel block while they are still in L1/L2, so
/// the expanded matrix (R·S times the input) never goes to memory whole.
/// </summary>
internal static unsafe class IntegerConvChunks
{
    public static long ChunkRows(long rows, int threads)
    {
        // Enough chunks for every worker, none larger than the GEMM's cache-sized chunk, whole tiles.
        long perWorker = (rows + threads - 1) / threads;
        long chunk = Math.Min(IntegerGemm.ChunkRows, perWorker);
        return Math.Max(IntegerGemm.TileRows, (chunk + IntegerGemm.TileRows - 1) / IntegerGemm.TileRows * IntegerGemm.TileRows);
    }

    public static long ScratchBytes(in Conv2dShape shape, int threads, int padded)
        => checked(threads * ChunkRows((long)shape.N * shape.P * shape.Q, threads) * padded);

    internal struct Job
    {
        public Conv2dShape Shape;
        public byte* Input;
        public byte Zero;
        public byte* Scratch;
        public long ChunkRows;
        public IntegerGemm.Job Gemm;
    }

    public static void Run(in Job job, int threads)
    {
        long chunks = (job.Gemm.Rows + job.ChunkRows - 1) / job.ChunkRows;
        if (threads <= 1 || chunks == 1)
        {
            Worker(job, 0, 1, chunks);
            return;
        }
        RunParallel(job, threads, chunks);
    }

    // Separate from Run: a lambda's captures would otherwise allocate on every call, serial ones included.
    private static void RunParallel(Job job, int threads, long chunks)
        => Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t => Worker(job, t, threads, chunks));

    /// <summary>Chunks t, t + stride, ... on scratch slot t.</summary>
    private static void Worker(in Job job, int slot, int stride, long chunks)
    {
        int padded = job.Gemm.DepthPadded;
        byte* rows = job.Scratch + slot * job.ChunkRows * padded;
        int blocks = (job.Gemm.Channels + IntegerGemm.BlockChannels - 1) / IntegerGemm.BlockChannels;
        var gemm = job.Gemm;
        for (long chunk = slot; chunk < chunks; chunk += stride)
        {
            long first = chunk * job.ChunkRows, end = Math.Min(job.Gemm.Rows, first + job.ChunkRows);
            // The slot holds rows [first, end) at its start: point A so that absolute row m lands there.
            IntegerIm2Col.Rows(job.Shape, job.Input, job.Zero, rows - first * padded, padded, first, end);
            gemm.A = rows - first * padded;
            for (int block = 0; block < blocks; block++) IntegerGemm.RunRows(gemm, first, end, block);
        }
    }
}
