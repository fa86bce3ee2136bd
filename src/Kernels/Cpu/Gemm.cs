using System.Runtime.CompilerServices;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Packed, cache-blocked GEMM (BLIS loop order): for each NC-wide column block and KC-deep slice, B is
/// packed once into L1-sized NR-column panels; for each MC-row block A is packed into MR-row panels that
/// stay in L2; the micro-kernel then sweeps every MR×NR tile. Work is split across workers by whole
/// column (or row) ranges so each worker packs privately and no barriers are needed.
/// The micro-kernel and the block sizes come from the instruction set (<see cref="GemmBlocking"/>).
/// </summary>
internal static unsafe class Gemm
{
    /// <summary>C[m×n] = alpha·op(A)·op(B) + beta·C with dense row-major operands.</summary>
    public static void Run(int m, int n, int k, float alpha, float* a, int lda, bool transA,
        float* b, int ldb, bool transB, float beta, float* c, int ldc, int threads, CpuIsa isa)
        => Run(m, n, k, new DenseA(a, lda, transA, alpha, isa), new DenseB(b, ldb, transB, isa), beta,
            new DenseC(c, ldc), default, threads, isa);

    /// <summary>C = A·B (+ beta·C) with A, B from any packable source, finished tiles passed through the epilogue.</summary>
    public static void Run<TA, TB, TC>(int m, int n, int k, TA a, TB b, float beta, TC c, RowEpilogue epilogue, int threads, CpuIsa isa)
        where TA : struct, IPackA
        where TB : struct, IPackB
        where TC : struct, IGemmOutput
    {
        var blocking = GemmBlocking.For(isa);
        switch (isa)
        {
            case CpuIsa.Avx512: Run<Avx512Kernel, TA, TB, TC>(m, n, k, a, b, beta, c, epilogue, threads, blocking); break;
            case CpuIsa.Avx2: Run<Avx2Kernel, TA, TB, TC>(m, n, k, a, b, beta, c, epilogue, threads, blocking); break;
            default: Run<PortableKernel, TA, TB, TC>(m, n, k, a, b, beta, c, epilogue, threads, blocking); break;
        }
    }

    /// <summary>The driver for one micro-kernel and blocking (internal so a kernel lab can time candidate tiles with it).</summary>
    internal static void Run<TK, TA, TB, TC>(int m, int n, int k, TA a, TB b, float beta, TC c, RowEpilogue epilogue, int threads,
        GemmBlocking blocking)
        where TK : struct, IMicroKernel
        where TA : struct, IPackA
        where TB : struct, IPackB
        where TC : struct, IGemmOutput
    {
        if (threads <= 1 || (double)m * n * k < 1 << 21)
        {
            Block<TK, TA, TB, TC>(0, m, 0, n, k, a, b, beta, c, epilogue, blocking);
            return;
        }
        if (n >= m || m < 2 * TK.MR)
        {
            // Split by columns, every worker would pack all of A for itself (twice per worker when the columns come in
            // two chunks each): pack it once, in parallel, and share it. Worth it once A is more than a few panels.
            if (typeof(TA) == typeof(DenseA) && m >= 4 * TK.MR)
            {
                var dense = Unsafe.As<TA, DenseA>(ref a);
                float* panels = ThreadScratch.Get(ThreadScratch.GemmLeftOperand, PrePackedA.Size(m, k, TK.MR));
                var shared = PrePackedA.Pack(dense, m, k, panels, blocking, threads);
                Run<TK, PrePackedA, TB, TC>(m, n, k, shared, b, beta, c, epilogue, threads, blocking);
                return;
            }
            int chunks = n >= 1024 * threads ? threads * 2 : threads;
            int width = RoundUp((n + chunks - 1) / chunks, TK.NR);
            int count = (n + width - 1) / width;
            CpuParallel.For(count, threads, i =>
                Block<TK, TA, TB, TC>(0, m, i * width, Math.Min(n, (i + 1) * width), k, a, b, beta, c, epilogue, blocking));
        }
        else
        {
            int chunks = m >= 1024 * threads ? threads * 2 : threads;
            int height = RoundUp((m + chunks - 1) / chunks, TK.MR);
            int count = (m + height - 1) / height;
            CpuParallel.For(count, threads, i =>
                Block<TK, TA, TB, TC>(i * height, Math.Min(m, (i + 1) * height), 0, n, k, a, b, beta, c, epilogue, blocking));
        }
    }

    /// <summary>One worker's share: rows [m0, m1) × columns [n0, n1) of C, on the calling thread.</summary>
    private static void Block<TK, TA, TB, TC>(int m0, int m1, int n0, int n1, int k, TA a, TB b, float beta, TC c, RowEpilogue epilogue,
        GemmBlocking blocking)
        where TK : struct, IMicroKernel
        where TA : struct, IPackA
        where TB : struct, IPackB
        where TC : struct, IGemmOutput
    {
        int mr = TK.MR, nr = TK.NR;
        // Rows in even MR-multiple blocks of at most MC, so no block is a thin leftover that re-streams all of B.
        int mBlocks = (m1 - m0 + blocking.MC - 1) / blocking.MC;
        int mcMax = RoundUp((m1 - m0 + mBlocks - 1) / mBlocks, mr);
        int ncMax = m1 - m0 <= blocking.MC ? blocking.NarrowNC : a.Prepacked ? blocking.PrepackedNC : blocking.NC;
        int kcMax = blocking.SliceDepth(k);
        float* packedB = ThreadScratch.Get(1, (long)kcMax * RoundUp(Math.Min(ncMax, n1 - n0), nr));
        float* packedA = ThreadScratch.Get(2, (long)RoundUp(Math.Min(mcMax, m1 - m0), mr) * kcMax);
        float* staged = stackalloc float[TK.MR * TK.NR];
        for (int jc = n0; jc < n1; jc += ncMax)
        {
            int nc = Math.Min(ncMax, n1 - jc);
            for (int pc = 0; pc < k; pc += kcMax)
            {
                int kc = Math.Min(kcMax, k - pc);
                b.Pack(pc, kc, jc, nc, nr, packedB);
                float betaNow = pc == 0 ? beta : 1f;
                bool last = pc + kc >= k;
                for (int ic = m0; ic < m1; ic += mcMax)
                {
                    int mc = Math.Min(mcMax, m1 - ic);
                    float* panelsA = a.Panels(ic, mc, pc, kc, mr, packedA);
                    if (a.Prepacked)
                    {
                        // The B block was sized for L2 (PrepackedNC): each A panel (kc·MR floats, 28 KiB at kc 512) stays in L1
                        // while it meets every B panel, where the other order streams both from L2 (a B panel of kc·NR floats
                        // outgrows L1 at kc 512). Xeon, 2 threads, 512³ on pre-packed A, four runs: +2 to +6 %.
                        for (int ir = 0; ir < mc; ir += mr)
                            for (int jr = 0; jr < nc; jr += nr)
                                Tile<TK, TC>(kc, panelsA + (long)ir * kc, packedB + (long)jr * kc, c, ic + ir, Math.Min(mr, mc - ir),
                                    jc + jr, Math.Min(nr, nc - jr), betaNow, last, epilogue, staged);
                    }
                    else
                    {
                        for (int jr = 0; jr < nc; jr += nr)
                            for (int ir = 0; ir < mc; ir += mr)
                                Tile<TK, TC>(kc, panelsA + (long)ir * kc, packedB + (long)jr * kc, c, ic + ir, Math.Min(mr, mc - ir),
                                    jc + jr, Math.Min(nr, nc - jr), betaNow, last, epilogue, staged);
                    }
                }
            }
        }
    }

    /// <summary>One MR×NR tile of C at (row, column): into C directly, or computed aside where it straddles a break in C's columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile<TK, TC>(int kc, float* panelA, float* panelB, TC c, int row, int rows, int column, int cols, float beta, bool last,
        RowEpilogue epilogue, float* staged)
        where TK : struct, IMicroKernel
        where TC : struct, IGemmOutput
    {
        int ldc = c.RowStride;
        bool fuse = last && !epilogue.IsIdentity;
        if (c.Run(column) >= cols)
        {
            float* tile = c.At(row, column);
            TK.Tile(kc, panelA, panelB, tile, ldc, rows, cols, beta);
            if (fuse) epilogue.Apply(tile, ldc, row, rows, cols);
            return;
        }
        TK.Tile(kc, panelA, panelB, staged, TK.NR, TK.MR, TK.NR, 0f);
        for (int done = 0; done < cols;)
        {
            int run = Math.Min(cols - done, c.Run(column + done));
            float* target = c.At(row, column + done);
            for (int r = 0; r < rows; r++)
                StagedTile.StoreRun(staged + r * TK.NR + done, target + (long)r * ldc, run, beta);
            if (fuse) epilogue.Apply(target, ldc, row, rows, run);
            done += run;
        }
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
