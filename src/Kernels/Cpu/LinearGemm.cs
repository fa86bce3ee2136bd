using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Linear, y[b, o] = x[b, :]·W[o, :] + bias[o], as one GEMM C = X·Wᵀ whose reduction carries the bias: X gets a column of
/// ones and Wᵀ a row of bias values (depth In + 1), so the bias is added inside the tiles and no second pass over y is
/// needed; activation and fake quant are fused into the tile stores. Wᵀ is packed by transposing 8×8 blocks of W in
/// registers, where a per-element transpose (the dense transposed packing) costs more than the thin GEMM's FMAs.
/// </summary>
internal static unsafe class LinearGemm
{
    public static void Forward(in LinearShape shape, float* x, float* w, float* bias, float* y, Epilogue epilogue, int threads, CpuIsa isa)
    {
        int depth = shape.In + (bias != null ? 1 : 0);
        var rows = new RowsWithOnes(x, shape.In);
        var weights = new TransposedWeightsB(w, bias, shape.In, isa);
        Gemm.Run(shape.Batch, shape.Out, depth, rows, weights, 0f, new DenseC(y, shape.Out), new RowEpilogue(null, epilogue, isa), threads, isa);
    }
}

/// <summary>A = [X | 1]: the row-major input x (rows of <c>columns</c> floats) with a column of ones at index <c>columns</c>.</summary>
internal readonly unsafe struct RowsWithOnes(float* x, int columns) : IPackA
{
    public bool Prepacked => false;

    public float* Panels(int i0, int mc, int p0, int kc, int mr, float* scratch)
    {
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            float* panel = scratch + (long)ir * kc;
            for (int r = 0; r < mr; r++)
            {
                if (r >= rows)
                {
                    for (int p = 0; p < kc; p++) panel[p * mr + r] = 0f;
                    continue;
                }
                float* src = x + (long)(i0 + ir + r) * columns;
                int end = Math.Min(kc, columns - p0);
                for (int p = 0; p < end; p++) panel[p * mr + r] = src[p0 + p];
                for (int p = Math.Max(end, 0); p < kc; p++) panel[p * mr + r] = 1f;
            }
        }
        return scratch;
    }
}

/// <summary>
/// B = [Wᵀ ; biasᵀ]: B[p, j] = w[j·columns + p] for p &lt; columns, bias[j] at p = columns (when there is a bias).
/// Full 8×8 blocks are transposed with AVX2 shuffles; edges and the portable path go element by element.
/// </summary>
internal readonly unsafe struct TransposedWeightsB(float* w, float* bias, int columns, CpuIsa isa) : IPackB
{
    public void Pack(int p0, int kc, int j0, int nc, int nr, float* destination)
    {
        bool simd = isa.HasAvx2();
        int weightRows = Math.Min(kc, columns - p0);
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            float* panel = destination + (long)jr * kc;
            float* first = w + (long)(j0 + jr) * columns + p0;
            int j = 0;
            if (simd)
                for (; j + 8 <= cols; j += 8)
                {
                    int p = 0;
                    for (; p + 8 <= weightRows; p += 8) Transpose8x8(first + (long)j * columns + p, columns, panel + p * nr + j, nr);
                    for (; p < weightRows; p++)
                        for (int t = 0; t < 8; t++) panel[p * nr + j + t] = first[(long)(j + t) * columns + p];
                }
            for (; j < cols; j++)
            {
                float* src = first + (long)j * columns;
                for (int p = 0; p < weightRows; p++) panel[p * nr + j] = src[p];
            }
            for (int p = 0; p < weightRows; p++)
                for (int t = cols; t < nr; t++) panel[p * nr + t] = 0f;
            // The bias row (at most one: it is the reduction's last index).
            for (int p = Math.Max(weightRows, 0); p < kc; p++)
                for (int t = 0; t < nr; t++) panel[p * nr + t] = t < cols ? bias[j0 + jr + t] : 0f;
        }
    }

    /// <summary>dst[p·ldd + t] = src[t·lds + p] for p, t in 0..8.</summary>
    private static void Transpose8x8(float* src, int lds, float* dst, int ldd)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + lds);
        var r2 = Avx.LoadVector256(src + 2L * lds);
        var r3 = Avx.LoadVector256(src + 3L * lds);
        var r4 = Avx.LoadVector256(src + 4L * lds);
        var r5 = Avx.LoadVector256(src + 5L * lds);
        var r6 = Avx.LoadVector256(src + 6L * lds);
        var r7 = Avx.LoadVector256(src + 7L * lds);
        // Interleave pairs of rows, then pairs of pairs, then swap 128-bit halves.
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
        Avx.Store(dst + 2L * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3L * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4L * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5L * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6L * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7L * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }
}
