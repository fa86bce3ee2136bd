using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// The AVX-512 micro-kernel: a 14×32 tile of C in 28 zmm accumulators, plus two for the B row and one for the
/// broadcast of A: 31 of the 32 registers. Per step of k it does 28 FMAs for 2 vector loads and 14 broadcasts, enough
/// independent chains (28) to cover the FMA latency on two 512-bit pipes (4 cycles × 2 = 8 in flight at least), and
/// the loads stay below the two load ports' rate. A taller tile than 6×64 (24 FMAs per 4 loads + 6 broadcasts) reuses
/// each B load more; measured on the Xeon (issue 10) against 12×32 and 6×64, see bench/README.md.
/// </summary>
internal readonly unsafe struct Avx512Kernel : IMicroKernel
{
    public const int MR = 14;
    public const int NR = 32;

    static int IMicroKernel.MR => MR;

    static int IMicroKernel.NR => NR;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(int kc, float* a, float* b, float* c, int ldc, int rows, int cols, float beta)
    {
        if (rows <= ShortRows)
        {
            ShortTile(kc, a, b, c, ldc, rows, cols, beta);
            return;
        }
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default;
        Vector512<float> c70 = default, c71 = default, c80 = default, c81 = default, c90 = default, c91 = default, c100 = default, c101 = default, c110 = default, c111 = default, c120 = default, c121 = default, c130 = default, c131 = default;
        for (int r = 0; r < MR; r++)
        {
            // C's rows lie ldc apart and miss in L1: start fetching them now so the stores after the k loop do not wait.
            Sse.Prefetch0(c + (long)r * ldc);
            Sse.Prefetch0(c + (long)r * ldc + 16);
        }
        for (int p = 0; p < kc; p++)
        {
            var b0 = Avx512F.LoadAlignedVector512(b);
            var b1 = Avx512F.LoadAlignedVector512(b + 16);
            var a0 = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(a0, b0, c00);
            c01 = Avx512F.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(a1, b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(a2, b0, c20);
            c21 = Avx512F.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(a3, b0, c30);
            c31 = Avx512F.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(a4, b0, c40);
            c41 = Avx512F.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(a5, b0, c50);
            c51 = Avx512F.FusedMultiplyAdd(a5, b1, c51);
            var a6 = Vector512.Create(a[6]);
            c60 = Avx512F.FusedMultiplyAdd(a6, b0, c60);
            c61 = Avx512F.FusedMultiplyAdd(a6, b1, c61);
            var a7 = Vector512.Create(a[7]);
            c70 = Avx512F.FusedMultiplyAdd(a7, b0, c70);
            c71 = Avx512F.FusedMultiplyAdd(a7, b1, c71);
            var a8 = Vector512.Create(a[8]);
            c80 = Avx512F.FusedMultiplyAdd(a8, b0, c80);
            c81 = Avx512F.FusedMultiplyAdd(a8, b1, c81);
            var a9 = Vector512.Create(a[9]);
            c90 = Avx512F.FusedMultiplyAdd(a9, b0, c90);
            c91 = Avx512F.FusedMultiplyAdd(a9, b1, c91);
            var a10 = Vector512.Create(a[10]);
            c100 = Avx512F.FusedMultiplyAdd(a10, b0, c100);
            c101 = Avx512F.FusedMultiplyAdd(a10, b1, c101);
            var a11 = Vector512.Create(a[11]);
            c110 = Avx512F.FusedMultiplyAdd(a11, b0, c110);
            c111 = Avx512F.FusedMultiplyAdd(a11, b1, c111);
            var a12 = Vector512.Create(a[12]);
            c120 = Avx512F.FusedMultiplyAdd(a12, b0, c120);
            c121 = Avx512F.FusedMultiplyAdd(a12, b1, c121);
            var a13 = Vector512.Create(a[13]);
            c130 = Avx512F.FusedMultiplyAdd(a13, b0, c130);
            c131 = Avx512F.FusedMultiplyAdd(a13, b1, c131);
            a += MR;
            b += NR;
        }
        if (rows == MR && cols == NR)
        {
            StoreRow(c, c00, c01, beta);
            StoreRow(c + ldc, c10, c11, beta);
            StoreRow(c + 2 * ldc, c20, c21, beta);
            StoreRow(c + 3 * ldc, c30, c31, beta);
            StoreRow(c + 4 * ldc, c40, c41, beta);
            StoreRow(c + 5 * ldc, c50, c51, beta);
            StoreRow(c + 6 * ldc, c60, c61, beta);
            StoreRow(c + 7 * ldc, c70, c71, beta);
            StoreRow(c + 8 * ldc, c80, c81, beta);
            StoreRow(c + 9 * ldc, c90, c91, beta);
            StoreRow(c + 10 * ldc, c100, c101, beta);
            StoreRow(c + 11 * ldc, c110, c111, beta);
            StoreRow(c + 12 * ldc, c120, c121, beta);
            StoreRow(c + 13 * ldc, c130, c131, beta);
            return;
        }
        float* tile = stackalloc float[MR * NR];
        Avx512F.Store(tile + 0, c00); Avx512F.Store(tile + 16, c01);
        Avx512F.Store(tile + 32, c10); Avx512F.Store(tile + 48, c11);
        Avx512F.Store(tile + 64, c20); Avx512F.Store(tile + 80, c21);
        Avx512F.Store(tile + 96, c30); Avx512F.Store(tile + 112, c31);
        Avx512F.Store(tile + 128, c40); Avx512F.Store(tile + 144, c41);
        Avx512F.Store(tile + 160, c50); Avx512F.Store(tile + 176, c51);
        Avx512F.Store(tile + 192, c60); Avx512F.Store(tile + 208, c61);
        Avx512F.Store(tile + 224, c70); Avx512F.Store(tile + 240, c71);
        Avx512F.Store(tile + 256, c80); Avx512F.Store(tile + 272, c81);
        Avx512F.Store(tile + 288, c90); Avx512F.Store(tile + 304, c91);
        Avx512F.Store(tile + 320, c100); Avx512F.Store(tile + 336, c101);
        Avx512F.Store(tile + 352, c110); Avx512F.Store(tile + 368, c111);
        Avx512F.Store(tile + 384, c120); Avx512F.Store(tile + 400, c121);
        Avx512F.Store(tile + 416, c130); Avx512F.Store(tile + 432, c131);
        StagedTile.Store(tile, NR, c, ldc, rows, cols, beta);
    }

    /// <summary>
    /// Rows a last panel of M can have: M = 64 or 128 (ResNet's channel counts) leaves 8 or 2 rows past whole 14-row
    /// panels, which the full tile computes as 14 (8.6 % of those layers' FMAs spent on padding); this 8×32 tile does them
    /// for 16 FMAs per k step instead of 28.
    /// </summary>
    private const int ShortRows = 8;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ShortTile(int kc, float* a, float* b, float* c, int ldc, int rows, int cols, float beta)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Avx512F.LoadAlignedVector512(b);
            var b1 = Avx512F.LoadAlignedVector512(b + 16);
            var a0 = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(a0, b0, c00);
            c01 = Avx512F.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(a1, b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(a2, b0, c20);
            c21 = Avx512F.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(a3, b0, c30);
            c31 = Avx512F.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(a4, b0, c40);
            c41 = Avx512F.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(a5, b0, c50);
            c51 = Avx512F.FusedMultiplyAdd(a5, b1, c51);
            var a6 = Vector512.Create(a[6]);
            c60 = Avx512F.FusedMultiplyAdd(a6, b0, c60);
            c61 = Avx512F.FusedMultiplyAdd(a6, b1, c61);
            var a7 = Vector512.Create(a[7]);
            c70 = Avx512F.FusedMultiplyAdd(a7, b0, c70);
            c71 = Avx512F.FusedMultiplyAdd(a7, b1, c71);
            a += MR;
            b += NR;
        }
        if (cols == NR)
        {
            // Row by row straight from the registers: staging the tile on the stack here made the JIT spill every
            // accumulator inside the k loop (2.5× slower).
            StoreRow(c, c00, c01, beta);
            if (rows > 1) StoreRow(c + ldc, c10, c11, beta);
            if (rows > 2) StoreRow(c + 2 * ldc, c20, c21, beta);
            if (rows > 3) StoreRow(c + 3 * ldc, c30, c31, beta);
            if (rows > 4) StoreRow(c + 4 * ldc, c40, c41, beta);
            if (rows > 5) StoreRow(c + 5 * ldc, c50, c51, beta);
            if (rows > 6) StoreRow(c + 6 * ldc, c60, c61, beta);
            if (rows > 7) StoreRow(c + 7 * ldc, c70, c71, beta);
            return;
        }
        float* tile = stackalloc float[ShortRows * NR];
        Avx512F.Store(tile + 0, c00); Avx512F.Store(tile + 16, c01);
        Avx512F.Store(tile + 32, c10); Avx512F.Store(tile + 48, c11);
        Avx512F.Store(tile + 64, c20); Avx512F.Store(tile + 80, c21);
        Avx512F.Store(tile + 96, c30); Avx512F.Store(tile + 112, c31);
        Avx512F.Store(tile + 128, c40); Avx512F.Store(tile + 144, c41);
        Avx512F.Store(tile + 160, c50); Avx512F.Store(tile + 176, c51);
        Avx512F.Store(tile + 192, c60); Avx512F.Store(tile + 208, c61);
        Avx512F.Store(tile + 224, c70); Avx512F.Store(tile + 240, c71);
        StagedTile.Store(tile, NR, c, ldc, rows, cols, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, Vector512<float> v0, Vector512<float> v1, float beta)
    {
        if (beta == 0f)
        {
            Avx512F.Store(c, v0);
            Avx512F.Store(c + 16, v1);
        }
        else if (beta == 1f)
        {
            Avx512F.Store(c, Avx512F.LoadVector512(c) + v0);
            Avx512F.Store(c + 16, Avx512F.LoadVector512(c + 16) + v1);
        }
        else
        {
            var vb = Vector512.Create(beta);
            Avx512F.Store(c, Avx512F.FusedMultiplyAdd(vb, Avx512F.LoadVector512(c), v0));
            Avx512F.Store(c + 16, Avx512F.FusedMultiplyAdd(vb, Avx512F.LoadVector512(c + 16), v1));
        }
    }
}
