using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// The AVX2/FMA micro-kernel: a 6×16 tile of C (12 ymm accumulators of the 16), two FMAs per broadcast of A.
/// </summary>
internal readonly unsafe struct Avx2Kernel : IMicroKernel
{
    public const int MR = 6;
    public const int NR = 16;

    static int IMicroKernel.MR => MR;

    static int IMicroKernel.NR => NR;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(int kc, float* a, float* b, float* c, int ldc, int rows, int cols, float beta)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Avx.LoadAlignedVector256(b);
            var b1 = Avx.LoadAlignedVector256(b + 8);
            var a0 = Vector256.Create(a[0]);
            c00 = Fma.MultiplyAdd(a0, b0, c00);
            c01 = Fma.MultiplyAdd(a0, b1, c01);
            var a1 = Vector256.Create(a[1]);
            c10 = Fma.MultiplyAdd(a1, b0, c10);
            c11 = Fma.MultiplyAdd(a1, b1, c11);
            var a2 = Vector256.Create(a[2]);
            c20 = Fma.MultiplyAdd(a2, b0, c20);
            c21 = Fma.MultiplyAdd(a2, b1, c21);
            var a3 = Vector256.Create(a[3]);
            c30 = Fma.MultiplyAdd(a3, b0, c30);
            c31 = Fma.MultiplyAdd(a3, b1, c31);
            var a4 = Vector256.Create(a[4]);
            c40 = Fma.MultiplyAdd(a4, b0, c40);
            c41 = Fma.MultiplyAdd(a4, b1, c41);
            var a5 = Vector256.Create(a[5]);
            c50 = Fma.MultiplyAdd(a5, b0, c50);
            c51 = Fma.MultiplyAdd(a5, b1, c51);
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
            return;
        }
        float* tile = stackalloc float[MR * NR];
        Avx.Store(tile, c00); Avx.Store(tile + 8, c01);
        Avx.Store(tile + 16, c10); Avx.Store(tile + 24, c11);
        Avx.Store(tile + 32, c20); Avx.Store(tile + 40, c21);
        Avx.Store(tile + 48, c30); Avx.Store(tile + 56, c31);
        Avx.Store(tile + 64, c40); Avx.Store(tile + 72, c41);
        Avx.Store(tile + 80, c50); Avx.Store(tile + 88, c51);
        StagedTile.Store(tile, NR, c, ldc, rows, cols, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, Vector256<float> v0, Vector256<float> v1, float beta)
    {
        if (beta == 0f)
        {
            Avx.Store(c, v0);
            Avx.Store(c + 8, v1);
        }
        else if (beta == 1f)
        {
            Avx.Store(c, Avx.LoadVector256(c) + v0);
            Avx.Store(c + 8, Avx.LoadVector256(c + 8) + v1);
        }
        else
        {
            var vb = Vector256.Create(beta);
            Avx.Store(c, Fma.MultiplyAdd(vb, Avx.LoadVector256(c), v0));
            Avx.Store(c + 8, Fma.MultiplyAdd(vb, Avx.LoadVector256(c + 8), v1));
        }
    }
}
