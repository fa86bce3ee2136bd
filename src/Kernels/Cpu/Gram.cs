using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// K = X·Xᵀ for X[n×d] with n small (a batch) and d huge (features): a symmetric rank-d update. Rows are
/// taken in blocks of 4; only block pairs on or above the diagonal are computed (4×4 = 16 vector
/// accumulators, 8 row loads per 16 FMAs), then mirrored. d is split across workers in contiguous ranges
/// and walked in L1-sized chunks; each worker keeps vector partial sums, reduced at the end. AVX-512 has 16-lane
/// accumulators (<see cref="BlockPair512"/>), the portable path 8 lanes as two Vector128 halves.
/// </summary>
internal static unsafe class Gram
{
    private const int Block = 4;

    /// <summary>
    /// Columns walked per step: every block pair re-reads its rows of the chunk, so all n rows of it should stay in half
    /// of L1 (the other half: accumulators spilled between pairs, the next lines arriving). A whole number of 16-float
    /// vectors, at least 64 so short rows still amortize the accumulator loads; 192 for n = 32 on a 48 KiB L1.
    /// </summary>
    internal static int ChunkColumns(int n, long l1Bytes)
    {
        long columns = Math.Max(l1Bytes, 16L << 10) / 2 / (Math.Max(n, 1) * (long)sizeof(float));
        return (int)Math.Clamp(columns / 16 * 16, 64, 1024);
    }

    public static void Compute(int n, long d, float* x, float* k, int threads, CpuIsa isa)
    {
        bool simd = isa.HasAvx2(), wide = isa == CpuIsa.Avx512;
        // Lanes per accumulator: one vector's worth, reduced to a scalar only at the end.
        int lanes = wide ? 16 : 8;
        int chunkColumns = ChunkColumns(n, CpuCaches.L1);
        int blocks = (n + Block - 1) / Block;
        int pairs = blocks * (blocks + 1) / 2;
        int workers = (int)Math.Clamp((long)n * n * d / (1L << 22), 1, threads);
        long span = (d + workers - 1) / workers;
        span = (span + lanes - 1) / lanes * lanes;
        workers = (int)((d + span - 1) / span);
        var partial = new float[workers * n * n];
        nint xs = (nint)x;
        CpuParallel.For(workers, threads, worker =>
        {
            long start = worker * span, end = Math.Min(d, start + span);
            float* acc = ThreadScratch.Get(0, (long)pairs * Block * Block * lanes);
            new Span<float>(acc, pairs * Block * Block * lanes).Clear();
            for (long chunk = start; chunk < end; chunk += chunkColumns)
            {
                long chunkEnd = Math.Min(end, chunk + chunkColumns);
                int pair = 0;
                for (int bi = 0; bi < blocks; bi++)
                    for (int bj = bi; bj < blocks; bj++, pair++)
                    {
                        float* pairAcc = acc + pair * Block * Block * lanes;
                        if (wide) BlockPair512((float*)xs, n, d, bi * Block, bj * Block, chunk, chunkEnd, (Vector512<float>*)pairAcc);
                        else if (simd) BlockPair((float*)xs, n, d, bi * Block, bj * Block, chunk, chunkEnd, (Vector256<float>*)pairAcc);
                        else PortableBlockPair((float*)xs, n, d, bi * Block, bj * Block, chunk, chunkEnd, pairAcc);
                    }
            }
            fixed (float* result = &partial[worker * n * n])
                Reduce(n, blocks, acc, lanes, result);
        });
        for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++)
            {
                float sum = 0f;
                for (int wk = 0; wk < workers; wk++) sum += partial[wk * n * n + i * n + j];
                k[i * n + j] = sum;
                k[j * n + i] = sum;
            }
    }

    /// <summary>acc[a·4 + b] += X[i0+a, range] ⊙ X[j0+b, range] lane-wise; rows past n repeat row n−1 and are discarded later.</summary>
    private static void BlockPair(float* x, int n, long d, int i0, int j0, long start, long end, Vector256<float>* acc)
    {
        float* a0 = x + Math.Min(i0, n - 1) * d, a1 = x + Math.Min(i0 + 1, n - 1) * d;
        float* a2 = x + Math.Min(i0 + 2, n - 1) * d, a3 = x + Math.Min(i0 + 3, n - 1) * d;
        float* b0 = x + Math.Min(j0, n - 1) * d, b1 = x + Math.Min(j0 + 1, n - 1) * d;
        float* b2 = x + Math.Min(j0 + 2, n - 1) * d, b3 = x + Math.Min(j0 + 3, n - 1) * d;
        var s00 = acc[0]; var s01 = acc[1]; var s02 = acc[2]; var s03 = acc[3];
        var s10 = acc[4]; var s11 = acc[5]; var s12 = acc[6]; var s13 = acc[7];
        var s20 = acc[8]; var s21 = acc[9]; var s22 = acc[10]; var s23 = acc[11];
        var s30 = acc[12]; var s31 = acc[13]; var s32 = acc[14]; var s33 = acc[15];
        long p = start;
        long full = start + (end - start) / 8 * 8;
        for (; p <= full; p += 8)
        {
            Vector256<float> va0, va1, va2, va3, vb0, vb1, vb2, vb3;
            if (p < full)
            {
                va0 = Avx.LoadVector256(a0 + p); va1 = Avx.LoadVector256(a1 + p);
                va2 = Avx.LoadVector256(a2 + p); va3 = Avx.LoadVector256(a3 + p);
                vb0 = Avx.LoadVector256(b0 + p); vb1 = Avx.LoadVector256(b1 + p);
                vb2 = Avx.LoadVector256(b2 + p); vb3 = Avx.LoadVector256(b3 + p);
            }
            else
            {
                if (p == end) break;
                var mask = Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create((int)(end - p))).AsSingle();
                va0 = Avx.MaskLoad(a0 + p, mask); va1 = Avx.MaskLoad(a1 + p, mask);
                va2 = Avx.MaskLoad(a2 + p, mask); va3 = Avx.MaskLoad(a3 + p, mask);
                vb0 = Avx.MaskLoad(b0 + p, mask); vb1 = Avx.MaskLoad(b1 + p, mask);
                vb2 = Avx.MaskLoad(b2 + p, mask); vb3 = Avx.MaskLoad(b3 + p, mask);
            }
            s00 = Fma.MultiplyAdd(va0, vb0, s00); s01 = Fma.MultiplyAdd(va0, vb1, s01);
            s02 = Fma.MultiplyAdd(va0, vb2, s02); s03 = Fma.MultiplyAdd(va0, vb3, s03);
            s10 = Fma.MultiplyAdd(va1, vb0, s10); s11 = Fma.MultiplyAdd(va1, vb1, s11);
            s12 = Fma.MultiplyAdd(va1, vb2, s12); s13 = Fma.MultiplyAdd(va1, vb3, s13);
            s20 = Fma.MultiplyAdd(va2, vb0, s20); s21 = Fma.MultiplyAdd(va2, vb1, s21);
            s22 = Fma.MultiplyAdd(va2, vb2, s22); s23 = Fma.MultiplyAdd(va2, vb3, s23);
            s30 = Fma.MultiplyAdd(va3, vb0, s30); s31 = Fma.MultiplyAdd(va3, vb1, s31);
            s32 = Fma.MultiplyAdd(va3, vb2, s32); s33 = Fma.MultiplyAdd(va3, vb3, s33);
        }
        acc[0] = s00; acc[1] = s01; acc[2] = s02; acc[3] = s03;
        acc[4] = s10; acc[5] = s11; acc[6] = s12; acc[7] = s13;
        acc[8] = s20; acc[9] = s21; acc[10] = s22; acc[11] = s23;
        acc[12] = s30; acc[13] = s31; acc[14] = s32; acc[15] = s33;
    }

    /// <summary>
    /// The AVX-512 form of <see cref="BlockPair"/>: 16 zmm accumulators of 16 lanes and 8 row loads per 16 FMAs; the
    /// range's last partial group of 16 (only at the end of a worker's span) is added lane by lane.
    /// </summary>
    private static void BlockPair512(float* x, int n, long d, int i0, int j0, long start, long end, Vector512<float>* acc)
    {
        float* a0 = x + Math.Min(i0, n - 1) * d, a1 = x + Math.Min(i0 + 1, n - 1) * d;
        float* a2 = x + Math.Min(i0 + 2, n - 1) * d, a3 = x + Math.Min(i0 + 3, n - 1) * d;
        float* b0 = x + Math.Min(j0, n - 1) * d, b1 = x + Math.Min(j0 + 1, n - 1) * d;
        float* b2 = x + Math.Min(j0 + 2, n - 1) * d, b3 = x + Math.Min(j0 + 3, n - 1) * d;
        var s00 = acc[0]; var s01 = acc[1]; var s02 = acc[2]; var s03 = acc[3];
        var s10 = acc[4]; var s11 = acc[5]; var s12 = acc[6]; var s13 = acc[7];
        var s20 = acc[8]; var s21 = acc[9]; var s22 = acc[10]; var s23 = acc[11];
        var s30 = acc[12]; var s31 = acc[13]; var s32 = acc[14]; var s33 = acc[15];
        long full = start + (end - start) / 16 * 16;
        for (long p = start; p < full; p += 16)
        {
            var va0 = Avx512F.LoadVector512(a0 + p); var va1 = Avx512F.LoadVector512(a1 + p);
            var va2 = Avx512F.LoadVector512(a2 + p); var va3 = Avx512F.LoadVector512(a3 + p);
            var vb0 = Avx512F.LoadVector512(b0 + p); var vb1 = Avx512F.LoadVector512(b1 + p);
            var vb2 = Avx512F.LoadVector512(b2 + p); var vb3 = Avx512F.LoadVector512(b3 + p);
            s00 = Avx512F.FusedMultiplyAdd(va0, vb0, s00); s01 = Avx512F.FusedMultiplyAdd(va0, vb1, s01);
            s02 = Avx512F.FusedMultiplyAdd(va0, vb2, s02); s03 = Avx512F.FusedMultiplyAdd(va0, vb3, s03);
            s10 = Avx512F.FusedMultiplyAdd(va1, vb0, s10); s11 = Avx512F.FusedMultiplyAdd(va1, vb1, s11);
            s12 = Avx512F.FusedMultiplyAdd(va1, vb2, s12); s13 = Avx512F.FusedMultiplyAdd(va1, vb3, s13);
            s20 = Avx512F.FusedMultiplyAdd(va2, vb0, s20); s21 = Avx512F.FusedMultiplyAdd(va2, vb1, s21);
            s22 = Avx512F.FusedMultiplyAdd(va2, vb2, s22); s23 = Avx512F.FusedMultiplyAdd(va2, vb3, s23);
            s30 = Avx512F.FusedMultiplyAdd(va3, vb0, s30); s31 = Avx512F.FusedMultiplyAdd(va3, vb1, s31);
            s32 = Avx512F.FusedMultiplyAdd(va3, vb2, s32); s33 = Avx512F.FusedMultiplyAdd(va3, vb3, s33);
        }
        acc[0] = s00; acc[1] = s01; acc[2] = s02; acc[3] = s03;
        acc[4] = s10; acc[5] = s11; acc[6] = s12; acc[7] = s13;
        acc[8] = s20; acc[9] = s21; acc[10] = s22; acc[11] = s23;
        acc[12] = s30; acc[13] = s31; acc[14] = s32; acc[15] = s33;
        if (full == end) return;
        float*[] rowsA = [a0, a1, a2, a3], rowsB = [b0, b1, b2, b3];
        float* lanes = (float*)acc;
        for (int a = 0; a < Block; a++)
            for (int b = 0; b < Block; b++)
                for (long p = full; p < end; p++)
                    lanes[(a * Block + b) * 16 + (p - full)] = MathF.FusedMultiplyAdd(rowsA[a][p], rowsB[b][p], lanes[(a * Block + b) * 16 + (p - full)]);
    }

    /// <summary>
    /// The portable form of <see cref="BlockPair"/> with the same 8 lanes per accumulator: one pair of rows at a time in two
    /// <see cref="Vector128{T}"/> halves (a chunk's 8 rows stay in L1, so re-reading them per pair is cheap), the
    /// chunk's last partial group of 8 added lane by lane.
    /// </summary>
    private static void PortableBlockPair(float* x, int n, long d, int i0, int j0, long start, long end, float* acc)
    {
        long full = start + (end - start) / 8 * 8;
        for (int a = 0; a < Block; a++)
        {
            float* rowA = x + Math.Min(i0 + a, n - 1) * d;
            for (int b = 0; b < Block; b++)
            {
                float* rowB = x + Math.Min(j0 + b, n - 1) * d;
                float* lanes = acc + (a * Block + b) * 8;
                var low = Vector128.Load(lanes);
                var high = Vector128.Load(lanes + 4);
                for (long p = start; p < full; p += 8)
                {
                    low = Vector128.MultiplyAddEstimate(Vector128.Load(rowA + p), Vector128.Load(rowB + p), low);
                    high = Vector128.MultiplyAddEstimate(Vector128.Load(rowA + p + 4), Vector128.Load(rowB + p + 4), high);
                }
                low.Store(lanes);
                high.Store(lanes + 4);
                for (long p = full; p < end; p++) lanes[p - full] += rowA[p] * rowB[p];
            }
        }
    }

    /// <summary>Horizontal sums of the accumulators into the upper triangle of result[n×n].</summary>
    private static void Reduce(int n, int blocks, float* acc, int lanes, float* result)
    {
        int pair = 0;
        for (int bi = 0; bi < blocks; bi++)
            for (int bj = bi; bj < blocks; bj++, pair++)
                for (int a = 0; a < Block; a++)
                    for (int b = 0; b < Block; b++)
                    {
                        int i = bi * Block + a, j = bj * Block + b;
                        if (i >= n || j >= n || i > j) continue;
                        float* lane = acc + (pair * Block * Block + a * Block + b) * lanes;
                        result[i * n + j] = lanes == 16 ? Vector512.Sum(Vector512.Load(lane)) : Vector256.Sum(Vector256.Load(lane));
                    }
    }
}
