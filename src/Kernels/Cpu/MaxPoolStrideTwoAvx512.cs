using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// 3×3 stride-2 max pooling (the ResNet stem's) on AVX-512, straight from the input without the padded copy: 16
/// outputs of a row per vector, even and odd input columns separated by two-source permutes, as the stride-2
/// depthwise kernel. Rows outside the image read a −∞ row; columns outside it load as −∞ (masked loads, masked-off
/// lanes never touched). A NaN anywhere in a window is the output, as in torch (vmaxps alone would drop it).
/// </summary>
internal static unsafe class MaxPoolStrideTwoAvx512
{
    public static bool Applies(in Pool2dShape s) => s.R == 3 && s.S == 3 && s.StrideH == 2 && s.StrideW == 2;

    public static void Run(Pool2dShape s, float* x, float* y, int threads)
    {
        int q = s.Q, blocks = (q + 15) / 16;
        var (masks, interior) = StrideTwoRows512.BlockMasks(q, s.PadW, s.W);
        int margin = s.PadW + 16, rowLength = margin + blocks * 32 + 34 + 16;
        long planeIn = (long)s.H * s.W, planeOut = (long)s.P * q;
        nint xs = (nint)x, ys = (nint)y;
        CpuParallel.ForRange((long)s.N * s.C, threads, 8, (start, end) =>
        {
            float* outside = ThreadScratch.Get(0, rowLength);
            new Span<float>(outside, rowLength).Fill(float.NegativeInfinity);
            fixed (Vector512<float>* maskTable = masks)
            fixed (bool* inside = interior)
                for (long plane = start; plane < end; plane++)
                    Plane(s, (float*)xs + plane * planeIn, (float*)ys + plane * planeOut, outside + margin, maskTable, inside);
        }, chunksPerThread: 16);
    }

    /// <summary>One plane; a plain static method so the JIT keeps the loop state in registers.</summary>
    private static void Plane(in Pool2dShape s, float* input, float* output, float* outside, Vector512<float>* masks, bool* interior)
    {
        int p = s.P, q = s.Q, blocks = (q + 15) / 16, h = s.H, w = s.W, padH = s.PadH, padW = s.PadW;
        var tail = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(q - (blocks - 1) * 16)).AsSingle();
        for (int oh = 0; oh < p; oh++)
        {
            int ih = oh * 2 - padH;
            float* r0 = StrideTwoRows512.Row(input, ih, h, w, outside) - padW;
            float* r1 = StrideTwoRows512.Row(input, ih + 1, h, w, outside) - padW;
            float* r2 = StrideTwoRows512.Row(input, ih + 2, h, w, outside) - padW;
            float* outRow = output + (long)oh * q;
            for (int b = 0; b < blocks; b++)
            {
                int col = 32 * b;
                var max = Vector512.Create(float.NegativeInfinity);
                var nan = Vector512<float>.Zero;
                if (interior[b])
                {
                    WindowRow(Avx512F.LoadVector512(r0 + col), Avx512F.LoadVector512(r0 + col + 16),
                        Avx512F.LoadVector512(r0 + col + 2), Avx512F.LoadVector512(r0 + col + 18), ref max, ref nan);
                    WindowRow(Avx512F.LoadVector512(r1 + col), Avx512F.LoadVector512(r1 + col + 16),
                        Avx512F.LoadVector512(r1 + col + 2), Avx512F.LoadVector512(r1 + col + 18), ref max, ref nan);
                    WindowRow(Avx512F.LoadVector512(r2 + col), Avx512F.LoadVector512(r2 + col + 16),
                        Avx512F.LoadVector512(r2 + col + 2), Avx512F.LoadVector512(r2 + col + 18), ref max, ref nan);
                }
                else
                {
                    Vector512<float>* m = masks + 4 * b;
                    var low = Vector512.Create(float.NegativeInfinity);
                    WindowRow(Avx512F.MaskLoad(r0 + col, m[0], low), Avx512F.MaskLoad(r0 + col + 16, m[1], low),
                        Avx512F.MaskLoad(r0 + col + 2, m[2], low), Avx512F.MaskLoad(r0 + col + 18, m[3], low), ref max, ref nan);
                    WindowRow(Avx512F.MaskLoad(r1 + col, m[0], low), Avx512F.MaskLoad(r1 + col + 16, m[1], low),
                        Avx512F.MaskLoad(r1 + col + 2, m[2], low), Avx512F.MaskLoad(r1 + col + 18, m[3], low), ref max, ref nan);
                    WindowRow(Avx512F.MaskLoad(r2 + col, m[0], low), Avx512F.MaskLoad(r2 + col + 16, m[1], low),
                        Avx512F.MaskLoad(r2 + col + 2, m[2], low), Avx512F.MaskLoad(r2 + col + 18, m[3], low), ref max, ref nan);
                }
                // NaN lanes become all-ones, a NaN.
                var result = max | nan;
                if (b + 1 < blocks) Avx512F.Store(outRow + b * 16, result);
                else Avx512F.MaskStore(outRow + b * 16, tail, result);
            }
        }
    }

    /// <summary>The three taps of one window row for 16 outputs: columns 2·ow, 2·ow + 1, 2·ow + 2 of the loads.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void WindowRow(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d,
        ref Vector512<float> max, ref Vector512<float> nan)
    {
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var t0 = Avx512F.PermuteVar16x32x2(a, even, b);
        var t1 = Avx512F.PermuteVar16x32x2(a, even + Vector512<int>.One, b);
        var t2 = Avx512F.PermuteVar16x32x2(c, even, d);
        max = Avx512F.Max(Avx512F.Max(max, t0), Avx512F.Max(t1, t2));
        nan |= Avx512F.CompareUnordered(t0, t1) | Avx512F.CompareUnordered(t2, t2);
    }
}
