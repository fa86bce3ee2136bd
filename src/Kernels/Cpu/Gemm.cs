namespace Ompq.Kernels.Cpu;

/// <summary>
/// Packed, cache-blocked GEMM (BLIS loop order): for each NC-wide column block and KC-deep slice, B is
/// packed once into L1-sized NR-column panels; for each MC-row block A is packed into MR-row panels that
/// stay in L2; the micro-kernel then sweeps every MR×NR tile. Work is split across workers by whole
/// column (or row) ranges so each worker packs privately and no barriers are needed.
/// </summary>
internal static unsafe class Gemm
{
    public const int KC = 256;
    public const int MC = 144;
    public const int NC = 3072;

    /// <summary>Column block when A fits in one MC block: each B panel is then used once, so it is packed just before use.</summary>
    private const int NarrowNC = 256;

    /// <summary>Column block when A is pre-packed: B's block can stay in L2 since repacking A is free.</summary>
    private const int PrepackedNC = 768;

    /// <summary>
    /// Depth of each K slice: K split evenly into ⌈K/KC⌉ slices, so no slice is a short leftover whose
    /// C-tile loads and stores would cost as much as its FMAs.
    /// </summary>
    public static int SliceDepth(int k)
    {
        int slices = (k + KC - 1) / KC;
        return (k + slices - 1) / slices;
    }

    /// <summary>C[m×n] = alpha·op(A)·op(B) + beta·C with dense row-major operands.</summary>
    public static void Run(int m, int n, int k, float alpha, float* a, int lda, bool transA,
        float* b, int ldb, bool transB, float beta, float* c, int ldc, int threads)
        => Run(m, n, k, new DenseA(a, lda, transA, alpha), new DenseB(b, ldb, transB), beta, new DenseC(c, ldc), default, threads);

    /// <summary>C = A·B (+ beta·C) with A, B from any packable source, finished tiles passed through the epilogue.</summary>
    public static void Run<TA, TB, TC>(int m, int n, int k, TA a, TB b, float beta, TC c, RowEpilogue epilogue, int threads)
        where TA : struct, IPackA
        where TB : struct, IPackB
        where TC : struct, IGemmOutput
    {
        if (threads <= 1 || (double)m * n * k < 1 << 21)
        {
            Block(0, m, 0, n, k, a, b, beta, c, epilogue);
            return;
        }
        if (n >= m || m < 2 * GemmKernel.MR)
        {
            int chunks = n >= 1024 * threads ? threads * 2 : threads;
            int width = RoundUp((n + chunks - 1) / chunks, GemmKernel.NR);
            int count = (n + width - 1) / width;
            CpuParallel.For(count, threads, i =>
                Block(0, m, i * width, Math.Min(n, (i + 1) * width), k, a, b, beta, c, epilogue));
        }
        else
        {
            int chunks = m >= 1024 * threads ? threads * 2 : threads;
            int height = RoundUp((m + chunks - 1) / chunks, GemmKernel.MR);
            int count = (m + height - 1) / height;
            CpuParallel.For(count, threads, i =>
                Block(i * height, Math.Min(m, (i + 1) * height), 0, n, k, a, b, beta, c, epilogue));
        }
    }

    /// <summary>One worker's share: rows [m0, m1) × columns [n0, n1) of C, on the calling thread.</summary>
    private static void Block<TA, TB, TC>(int m0, int m1, int n0, int n1, int k, TA a, TB b, float beta, TC c, RowEpilogue epilogue)
        where TA : struct, IPackA
        where TB : struct, IPackB
        where TC : struct, IGemmOutput
    {
        const int mr = GemmKernel.MR, nr = GemmKernel.NR;
        int ncMax = m1 - m0 <= MC ? NarrowNC : a.Prepacked ? PrepackedNC : NC;
        int kcMax = SliceDepth(k);
        float* packedB = ThreadScratch.Get(1, (long)kcMax * RoundUp(Math.Min(ncMax, n1 - n0), nr));
        float* packedA = ThreadScratch.Get(2, (long)RoundUp(Math.Min(MC, m1 - m0), mr) * kcMax);
        float* staged = stackalloc float[mr * nr];
        bool fuse = !epilogue.IsIdentity;
        int ldc = c.RowStride;
        for (int jc = n0; jc < n1; jc += ncMax)
        {
            int nc = Math.Min(ncMax, n1 - jc);
            for (int pc = 0; pc < k; pc += kcMax)
            {
                int kc = Math.Min(kcMax, k - pc);
                b.Pack(pc, kc, jc, nc, packedB);
                float betaNow = pc == 0 ? beta : 1f;
                bool last = pc + kc >= k;
                for (int ic = m0; ic < m1; ic += MC)
                {
                    int mc = Math.Min(MC, m1 - ic);
                    float* panelsA = a.Panels(ic, mc, pc, kc, packedA);
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int cols = Math.Min(nr, nc - jr), column = jc + jr;
                        float* panelB = packedB + (long)jr * kc;
                        bool contiguous = c.Run(column) >= cols;
                        for (int ir = 0; ir < mc; ir += mr)
                        {
                            int rows = Math.Min(mr, mc - ir), row = ic + ir;
                            if (contiguous)
                            {
                                float* tile = c.At(row, column);
                                GemmKernel.Tile(kc, panelsA + (long)ir * kc, panelB, tile, ldc, rows, cols, betaNow);
                                if (last && fuse) epilogue.Apply(tile, ldc, row, rows, cols);
                                continue;
                            }
                            // The tile straddles a break in C's columns: compute it aside, then store each run.
                            GemmKernel.Tile(kc, panelsA + (long)ir * kc, panelB, staged, nr, mr, nr, 0f);
                            for (int done = 0; done < cols;)
                            {
                                int run = Math.Min(cols - done, c.Run(column + done));
                                float* target = c.At(row, column + done);
                                for (int r = 0; r < rows; r++)
                                {
                                    float* dst = target + (long)r * ldc, src = staged + r * nr + done;
                                    for (int j = 0; j < run; j++)
                                        dst[j] = betaNow == 0f ? src[j] : MathF.FusedMultiplyAdd(betaNow, dst[j], src[j]);
                                }
                                if (last && fuse) epilogue.Apply(target, ldc, row, rows, run);
                                done += run;
                            }
                        }
                    }
                }
            }
        }
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
