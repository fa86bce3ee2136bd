using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>An 8×8 float transpose in AVX registers, for packers whose source runs along the other axis of their panels.</summary>
internal static unsafe class BlockTranspose
{
    /// <summary>dst[p·ldd + t] = src[t·lds + p] for p, t in 0..8 (AVX only: callers check the instruction set).</summary>
    public static void Transpose8x8(float* src, long lds, float* dst, long ldd)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + lds);
        var r2 = Avx.LoadVector256(src + 2 * lds);
        var r3 = Avx.LoadVector256(src + 3 * lds);
        var r4 = Avx.LoadVector256(src + 4 * lds);
        var r5 = Avx.LoadVector256(src + 5 * lds);
        var r6 = Avx.LoadVector256(src + 6 * lds);
        var r7 = Avx.LoadVector256(src + 7 * lds);
        // Interleave pairs of rows, then pairs of pairs (each 128-bit half now holds 4 of a column), then swap halves.
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>
    /// An A panel from row-major rows: panel[p·mr + r] = source[r·ld + p] for r &lt; rows, 0 for rows ≤ r &lt; mr; p in [0, kc).
    /// Full panels on the AVX-512 path go through <see cref="RowPanelTranspose512"/>. Otherwise 8×8 blocks where 8 rows and 8
    /// columns are left (with a last row block that may overlap the one before: the same values written twice), the rest
    /// element by element; the portable path does all of it so.
    /// </summary>
    public static void PackRowPanel(float* source, int ld, int rows, int kc, int mr, float* panel, CpuIsa isa)
    {
        if (isa == CpuIsa.Avx512 && rows == mr && RowPanelTranspose512.Applies(mr))
        {
            RowPanelTranspose512.Pack(source, ld, kc, panel);
            return;
        }
        int vectorEnd = 0;
        if (isa.HasAvx2() && rows >= 8)
        {
            vectorEnd = kc / 8 * 8;
            for (int r0 = 0; r0 < rows; r0 += 8)
            {
                int r = Math.Min(r0, rows - 8);
                for (int p = 0; p < vectorEnd; p += 8)
                    Transpose8x8(source + (long)r * ld + p, ld, panel + p * mr + r, mr);
            }
        }
        for (int r = 0; r < mr; r++)
        {
            if (r >= rows)
            {
                for (int p = 0; p < kc; p++) panel[p * mr + r] = 0f;
                continue;
            }
            float* src = source + (long)r * ld;
            for (int p = vectorEnd; p < kc; p++) panel[p * mr + r] = src[p];
        }
    }
}
