using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu.Integer;

/// <summary>
/// out[m, k] = epilogue(Σ_j a[m, j]·w[k, j]) for u8 rows a (stride lda, depth padded to 4) and packed s8 weights.
/// Work is cut into units of (a chunk of rows, one block of 16 output channels); a tile is 6 rows × 16 channels of
/// int32 accumulators held in registers (12 of the 16 ymm registers VEX-encoded vpdpbusd can address).
/// </summary>
internal static unsafe class IntegerGemm
{
    public const int BlockChannels = 16;
    public const int TileRows = 6;
    internal const int ChunkRows = TileRows * 8;

    internal struct Job
    {
        public byte* A;
        public long Lda;
        public long Rows;
        public byte* Weights;
        public int DepthPadded;
        public int Channels;
        public IntegerIsa Isa;
        public EpilogueTarget Epilogue;
    }

    public static void Run(in Job job, int threads)
    {
        long chunks = (job.Rows + ChunkRows - 1) / ChunkRows;
        int blocks = (job.Channels + BlockChannels - 1) / BlockChannels;
        long units = chunks * blocks;
        if (threads <= 1 || units == 1)
        {
            for (long u = 0; u < units; u++) RunUnit(job, u / blocks, (int)(u % blocks));
            return;
        }
        RunParallel(job, units, blocks, threads);
    }

    // Separate from Run: a lambda's captures would otherwise allocate on every call, serial ones included.
    private static void RunParallel(Job job, long units, int blocks, int threads)
        => Parallel.For(0L, units, new ParallelOptions { MaxDegreeOfParallelism = threads }, u => RunUnit(job, u / blocks, (int)(u % blocks)));

    private static void RunUnit(in Job job, long chunk, int block)
        => RunRows(job, chunk * ChunkRows, Math.Min(job.Rows, (chunk + 1) * ChunkRows), block);

    /// <summary>Rows [first, end) of output channel block <paramref name="block"/>.</summary>
    internal static void RunRows(in Job job, long first, long end, int block)
    {
        int* acc = stackalloc int[TileRows * BlockChannels];
        int k0 = block * BlockChannels;
        int count = Math.Min(BlockChannels, job.Channels - k0);
        int lanes = job.Isa == IntegerIsa.Avx2 ? 2 : 4;
        int bytesPerValue = job.Isa == IntegerIsa.Avx2 ? 2 : 1;
        byte* w = job.Weights + (long)block * job.DepthPadded * BlockChannels * bytesPerValue;
        int groups = job.DepthPadded / lanes;
        bool vector = job.Isa != IntegerIsa.Portable;
        for (long m = first; m < end; m += TileRows)
        {
            int rows = (int)Math.Min(TileRows, end - m);
            // Rows past the end repeat the last real row: the tile always computes six, only `rows` are stored.
            byte* a0 = job.A + m * job.Lda;
            byte* a1 = job.A + (m + Math.Min(1, rows - 1)) * job.Lda;
            byte* a2 = job.A + (m + Math.Min(2, rows - 1)) * job.Lda;
            byte* a3 = job.A + (m + Math.Min(3, rows - 1)) * job.Lda;
            byte* a4 = job.A + (m + Math.Min(4, rows - 1)) * job.Lda;
            byte* a5 = job.A + (m + Math.Min(5, rows - 1)) * job.Lda;
            switch (job.Isa)
            {
                case IntegerIsa.Vnni: TileVnni(a0, a1, a2, a3, a4, a5, w, groups, acc); break;
                case IntegerIsa.Avx2: TileAvx2(a0, a1, a2, a3, a4, a5, w, groups, acc); break;
                default: TilePortable(a0, a1, a2, a3, a4, a5, w, groups, acc); break;
            }
            for (int r = 0; r < rows; r++) IntegerEpilogueRow.Apply(job.Epilogue, acc + r * BlockChannels, m + r, k0, count, vector);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TileVnni(byte* a0, byte* a1, byte* a2, byte* a3, byte* a4, byte* a5, byte* w, int groups, int* acc)
    {
        Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<int> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int g = 0; g < groups; g++, w += 64)
        {
            var w0 = Avx.LoadVector256((sbyte*)w);
            var w1 = Avx.LoadVector256((sbyte*)(w + 32));
            int o = g * 4;
            var b = Vector256.Create(*(int*)(a0 + o)).AsByte();
            c00 = AvxVnni.MultiplyWideningAndAdd(c00, b, w0);
            c01 = AvxVnni.MultiplyWideningAndAdd(c01, b, w1);
            b = Vector256.Create(*(int*)(a1 + o)).AsByte();
            c10 = AvxVnni.MultiplyWideningAndAdd(c10, b, w0);
            c11 = AvxVnni.MultiplyWideningAndAdd(c11, b, w1);
            b = Vector256.Create(*(int*)(a2 + o)).AsByte();
            c20 = AvxVnni.MultiplyWideningAndAdd(c20, b, w0);
            c21 = AvxVnni.MultiplyWideningAndAdd(c21, b, w1);
            b = Vector256.Create(*(int*)(a3 + o)).AsByte();
            c30 = AvxVnni.MultiplyWideningAndAdd(c30, b, w0);
            c31 = AvxVnni.MultiplyWideningAndAdd(c31, b, w1);
            b = Vector256.Create(*(int*)(a4 + o)).AsByte();
            c40 = AvxVnni.MultiplyWideningAndAdd(c40, b, w0);
            c41 = AvxVnni.MultiplyWideningAndAdd(c41, b, w1);
            b = Vector256.Create(*(int*)(a5 + o)).AsByte();
            c50 = AvxVnni.MultiplyWideningAndAdd(c50, b, w0);
            c51 = AvxVnni.MultiplyWideningAndAdd(c51, b, w1);
        }
        Store12(acc, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TileAvx2(byte* a0, byte* a1, byte* a2, byte* a3, byte* a4, byte* a5, byte* w, int groups, int* acc)
    {
        Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<int> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int g = 0; g < groups; g++, w += 64)
        {
            var w0 = Avx.LoadVector256((short*)w);
            var w1 = Avx.LoadVector256((short*)(w + 32));
            int o = g * 2;
            var b = Pair(a0 + o);
            c00 = Avx2.Add(c00, Avx2.MultiplyAddAdjacent(b, w0));
            c01 = Avx2.Add(c01, Avx2.MultiplyAddAdjacent(b, w1));
            b = Pair(a1 + o);
            c10 = Avx2.Add(c10, Avx2.MultiplyAddAdjacent(b, w0));
            c11 = Avx2.Add(c11, Avx2.MultiplyAddAdjacent(b, w1));
            b = Pair(a2 + o);
            c20 = Avx2.Add(c20, Avx2.MultiplyAddAdjacent(b, w0));
            c21 = Avx2.Add(c21, Avx2.MultiplyAddAdjacent(b, w1));
            b = Pair(a3 + o);
            c30 = Avx2.Add(c30, Avx2.MultiplyAddAdjacent(b, w0));
            c31 = Avx2.Add(c31, Avx2.MultiplyAddAdjacent(b, w1));
            b = Pair(a4 + o);
            c40 = Avx2.Add(c40, Avx2.MultiplyAddAdjacent(b, w0));
            c41 = Avx2.Add(c41, Avx2.MultiplyAddAdjacent(b, w1));
            b = Pair(a5 + o);
            c50 = Avx2.Add(c50, Avx2.MultiplyAddAdjacent(b, w0));
            c51 = Avx2.Add(c51, Avx2.MultiplyAddAdjacent(b, w1));
        }
        Store12(acc, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51);
    }

    /// <summary>Two u8 codes as two int16 lanes, broadcast: one vpmaddwd operand.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Pair(byte* a) => Vector256.Create(a[0] | (a[1] << 16)).AsInt16();

    private static void TilePortable(byte* a0, byte* a1, byte* a2, byte* a3, byte* a4, byte* a5, byte* w, int groups, int* acc)
    {
        byte** rows = stackalloc byte*[TileRows];
        rows[0] = a0; rows[1] = a1; rows[2] = a2; rows[3] = a3; rows[4] = a4; rows[5] = a5;
        for (int r = 0; r < TileRows; r++)
        {
            byte* a = rows[r];
            for (int lane = 0; lane < BlockChannels; lane++)
            {
                int sum = 0;
                sbyte* wl = (sbyte*)w + lane * 4;
                for (int g = 0; g < groups; g++, wl += 64)
                {
                    byte* ag = a + g * 4;
                    sum += ag[0] * wl[0] + ag[1] * wl[1] + ag[2] * wl[2] + ag[3] * wl[3];
                }
                acc[r * BlockChannels + lane] = sum;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store12(int* acc, Vector256<int> c00, Vector256<int> c01, Vector256<int> c10, Vector256<int> c11, Vector256<int> c20, Vector256<int> c21,
        Vector256<int> c30, Vector256<int> c31, Vector256<int> c40, Vector256<int> c41, Vector256<int> c50, Vector256<int> c51)
    {
        Avx.Store(acc, c00); Avx.Store(acc + 8, c01);
        Avx.Store(acc + 16, c10); Avx.Store(acc + 24, c11);
        Avx.Store(acc + 32, c20); Avx.Store(acc + 40, c21);
        Avx.Store(acc + 48, c30); Avx.Store(acc + 56, c31);
        Avx.Store(acc + 64, c40); Avx.Store(acc + 72, c41);
        Avx.Store(acc + 80, c50); Avx.Store(acc + 88, c51);
    }
}
