using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Max, average and global-average pooling over NCHW, one (n, c) plane per work item, vectorized over output columns
/// (window pools on the portable path: <see cref="PortablePooling"/>; 3×3 stride-2 max pooling on AVX-512:
/// <see cref="MaxPoolStrideTwoAvx512"/>).
/// </summary>
internal static unsafe class Pooling
{
    public static void Max(Pool2dShape s, float* x, float* y, int threads, CpuIsa isa)
    {
        if (isa == CpuIsa.Avx512 && MaxPoolStrideTwoAvx512.Applies(s))
        {
            MaxPoolStrideTwoAvx512.Run(s, x, y, threads);
            return;
        }
        if (isa.HasAvx2()) Windowed(s, x, y, threads, new PaddedLayout(s, float.NegativeInfinity), average: false);
        else PortablePooling.Windowed(s, x, y, threads, average: false);
    }

    public static void Average(Pool2dShape s, float* x, float* y, int threads, CpuIsa isa)
    {
        if (isa.HasAvx2()) Windowed(s, x, y, threads, new PaddedLayout(s, 0f), average: true);
        else PortablePooling.Windowed(s, x, y, threads, average: true);
    }

    /// <summary>
    /// Both window pools on a padded, stride-phase-split copy of each plane (as the depthwise kernel):
    /// padding is −∞ for max and 0 for average, so 8 outputs take one contiguous load per tap.
    /// </summary>
    private static void Windowed(Pool2dShape s, float* x, float* y, int threads, PaddedLayout layout, bool average)
    {
        int p = s.P, q = s.Q, qPadded = (q + 7) / 8 * 8;
        // Divisors: R·S with count_include_pad (floor-mode windows never pass the padded edge), else in-image taps.
        var rowCounts = new float[p];
        var columnCounts = new float[qPadded];
        for (int oh = 0; oh < p; oh++)
        {
            int start = oh * s.StrideH - s.PadH;
            rowCounts[oh] = s.CountIncludePad ? s.R : Math.Min(start + s.R, s.H) - Math.Max(start, 0);
        }
        for (int ow = 0; ow < qPadded; ow++)
        {
            int start = ow * s.StrideW - s.PadW;
            columnCounts[ow] = ow >= q ? 1f : s.CountIncludePad ? s.S : Math.Min(start + s.S, s.W) - Math.Max(start, 0);
        }
        var tapOffsets = new int[s.S];
        for (int t = 0; t < s.S; t++) tapOffsets[t] = layout.TapOffset(t, 1);
        nint xs = (nint)x, ys = (nint)y;
        CpuParallel.ForRange((long)s.N * s.C, threads, 8, (first, last) =>
        {
            float* padded = ThreadScratch.Get(0, layout.Size);
            fixed (float* columns = columnCounts)
            fixed (int* taps = tapOffsets)
                for (long plane = first; plane < last; plane++)
                {
                    layout.Fill((float*)xs + plane * s.H * s.W, padded);
                    WindowPlane(s, layout, padded, (float*)ys + plane * p * q, taps, columns, rowCounts, average);
                }
        }, chunksPerThread: 16);
    }

    /// <summary>One padded plane; a plain static method so the JIT keeps the loop state in registers.</summary>
    private static void WindowPlane(in Pool2dShape s, in PaddedLayout layout, float* padded, float* output, int* taps,
        float* columns, float[] rowCounts, bool average)
    {
        int p = s.P, q = s.Q, windowRows = s.R, windowColumns = s.S, rowLength = layout.RowLength;
        for (int oh = 0; oh < p; oh++)
        {
            float* window = padded + (long)oh * s.StrideH * rowLength;
            float* outRow = output + (long)oh * q;
            var rowCount = Vector256.Create(rowCounts[oh]);
            for (int ow = 0; ow < q; ow += 8)
            {
                Vector256<float> result;
                if (average)
                {
                    var sum = Vector256<float>.Zero;
                    for (int r = 0; r < windowRows; r++)
                        for (int t = 0; t < windowColumns; t++)
                            sum += Avx.LoadVector256(window + (long)r * rowLength + ow + taps[t]);
                    result = Avx.Divide(sum, rowCount * Avx.LoadVector256(columns + ow));
                }
                else
                {
                    var max = Vector256.Create(float.NegativeInfinity);
                    var nan = Vector256<float>.Zero;
                    for (int r = 0; r < windowRows; r++)
                        for (int t = 0; t < windowColumns; t++)
                        {
                            var v = Avx.LoadVector256(window + (long)r * rowLength + ow + taps[t]);
                            max = Avx.Max(max, v);
                            nan = Avx.Or(nan, Avx.CompareUnordered(v, v));
                        }
                    // NaN propagates, as in torch (vmaxps alone would drop it).
                    result = Avx.Or(max, nan);
                }
                if (ow + 8 <= q) Avx.Store(outRow + ow, result);
                else PartialStore.Store(outRow + ow, result, q - ow);
            }
        }
    }

    /// <summary>
    /// One mean per (n, c) plane; planes in contiguous runs per worker rather than one work item each (7×7 planes are
    /// a few vectors, less than a work item's dispatch).
    /// </summary>
    public static void GlobalAverage(ChannelShape s, float* x, float* y, int threads, CpuIsa isa)
    {
        bool simd = isa.HasAvx2(), wide = isa == CpuIsa.Avx512;
        nint xs = (nint)x, ys = (nint)y;
        long spatial = s.Spatial;
        CpuParallel.ForRange((long)s.N * s.C, threads, Math.Max(1, (1 << 14) / Math.Max(1, spatial)), (first, last) =>
        {
            for (long plane = first; plane < last; plane++)
            {
                float* xp = (float*)xs + plane * spatial;
                float sum;
                if (wide)
                {
                    // A 7×7 plane: three vectors and one masked one (lanes past the plane load as 0).
                    var sum16 = Vector512<float>.Zero;
                    long j = 0;
                    for (; j + 16 <= spatial; j += 16) sum16 += Avx512F.LoadVector512(xp + j);
                    if (j < spatial) sum16 += Avx512F.MaskLoad(xp + j, TailMask512.First(spatial - j), Vector512<float>.Zero);
                    sum = Vector512.Sum(sum16);
                }
                else
                {
                    var acc = Vector256<float>.Zero;
                    long i = 0;
                    for (; simd && i + 8 <= spatial; i += 8) acc += Avx.LoadVector256(xp + i);
                    sum = Vector256.Sum(acc);
                    for (; i < spatial; i++) sum += xp[i];
                }
                ((float*)ys)[plane] = sum / spatial;
            }
        }, chunksPerThread: 4);
    }
}
