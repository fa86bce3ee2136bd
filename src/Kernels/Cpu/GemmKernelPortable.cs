using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// The portable micro-kernel: a 6×8 tile of C in 12 <see cref="Vector128{T}"/> accumulators, written with the
/// cross-platform vector API only, so the same code runs on SSE-only x86 and on ARM64 (AdvSimd), both of which
/// accelerate 128-bit vectors. MultiplyAddEstimate is one fused instruction where the CPU has FMA (ARM64 always) and a
/// multiply then add elsewhere, so results may differ from the AVX2 path in the last bit, within the tests' tolerance.
/// </summary>
internal readonly unsafe struct PortableKernel : IMicroKernel
{
    public const int MR = 6;
    public const int NR = 8;

    static int IMicroKernel.MR => MR;

    static int IMicroKernel.NR => NR;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(int kc, float* a, float* b, float* c, int ldc, int rows, int cols, float beta)
    {
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 4);
            var a0 = Vector128.Create(a[0]);
            c00 = Vector128.MultiplyAddEstimate(a0, b0, c00);
            c01 = Vector128.MultiplyAddEstimate(a0, b1, c01);
            var a1 = Vector128.Create(a[1]);
            c10 = Vector128.MultiplyAddEstimate(a1, b0, c10);
            c11 = Vector128.MultiplyAddEstimate(a1, b1, c11);
            var a2 = Vector128.Create(a[2]);
            c20 = Vector128.MultiplyAddEstimate(a2, b0, c20);
            c21 = Vector128.MultiplyAddEstimate(a2, b1, c21);
            var a3 = Vector128.Create(a[3]);
            c30 = Vector128.MultiplyAddEstimate(a3, b0, c30);
            c31 = Vector128.MultiplyAddEstimate(a3, b1, c31);
            var a4 = Vector128.Create(a[4]);
            c40 = Vector128.MultiplyAddEstimate(a4, b0, c40);
            c41 = Vector128.MultiplyAddEstimate(a4, b1, c41);
            var a5 = Vector128.Create(a[5]);
            c50 = Vector128.MultiplyAddEstimate(a5, b0, c50);
            c51 = Vector128.MultiplyAddEstimate(a5, b1, c51);
            a += MR;
            b += NR;
        }
        float* tile = stackalloc float[MR * NR];
        c00.Store(tile + 0); c01.Store(tile + 4);
        c10.Store(tile + 8); c11.Store(tile + 12);
        c20.Store(tile + 16); c21.Store(tile + 20);
        c30.Store(tile + 24); c31.Store(tile + 28);
        c40.Store(tile + 32); c41.Store(tile + 36);
        c50.Store(tile + 40); c51.Store(tile + 44);
        StagedTile.Store(tile, NR, c, ldc, rows, cols, beta);
    }
}
