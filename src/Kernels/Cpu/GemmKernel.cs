using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// A register-blocked micro-kernel: updates an MR×NR tile of C from an MR-row panel of packed A (panel[p·MR + r])
/// and an NR-column panel of packed B (panel[p·NR + j]). One struct per instruction set; the GEMM driver is generic
/// over it, so each gets its own compiled loops and the sizes are constants inside them.
/// </summary>
internal unsafe interface IMicroKernel
{
    static abstract int MR { get; }

    static abstract int NR { get; }

    /// <summary>C[0..rows, 0..cols) = beta·C + A·B over kc; beta = 0 ignores C's old contents (even NaN).</summary>
    static abstract void Tile(int kc, float* a, float* b, float* c, int ldc, int rows, int cols, float beta);
}

/// <summary>
/// Stores of a tile computed aside, where it is cut by the edges of C (every micro-kernel) or by a break in C's columns
/// (the driver): one run of a row at a time, the same fused multiply-add per element on every path.
/// </summary>
internal static unsafe class StagedTile
{
    /// <summary>C[0..rows, 0..cols) = staged + beta·C, staged rows <paramref name="pitch"/> floats apart.</summary>
    public static void Store(float* staged, int pitch, float* c, int ldc, int rows, int cols, float beta)
    {
        for (int r = 0; r < rows; r++) StoreRun(staged + r * pitch, c + (long)r * ldc, cols, beta);
    }

    /// <summary>dst[j] = src[j] + beta·dst[j] for j &lt; count (beta = 0: dst's old values, even NaN, are ignored).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreRun(float* src, float* dst, int count, float beta)
    {
        int j = 0;
        if (beta == 0f)
        {
            for (; j + 4 <= count; j += 4) Vector128.Store(Vector128.Load(src + j), dst + j);
            for (; j < count; j++) dst[j] = src[j];
            return;
        }
        var factor = Vector128.Create(beta);
        for (; j + 4 <= count; j += 4)
            Vector128.Store(Vector128.FusedMultiplyAdd(factor, Vector128.Load(dst + j), Vector128.Load(src + j)), dst + j);
        for (; j < count; j++) dst[j] = MathF.FusedMultiplyAdd(beta, dst[j], src[j]);
    }
}
