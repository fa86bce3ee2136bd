using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Depthwise convolution (groups = C = K), direct and vectorized, one (image, channel) plane per work item.
/// The MobileNet cases read the input in place: 3×3 stride 1 on small planes as one flat vector array
/// (<see cref="DepthwiseSmallPlane"/>), 3×3 stride 1 on larger planes row by row with masked edges, 3×3
/// stride 2 deinterleaving even and odd columns on load (<see cref="DepthwiseStrideTwo"/>). Every other shape
/// first copies each plane into a zero-padded scratch plane split into stride phases
/// (<see cref="PaddedLayout"/>), so every tap of 8 consecutive outputs is one contiguous load whatever the
/// stride. Bias, activation and fake quant are applied before the single store of each output vector.
/// On AVX-512 the 3×3 stride-1 and stride-2 cases run 16-lane kernels instead: 7×7 planes padded by 1 as one flat array
/// (<see cref="DepthwiseSevenBySevenAvx512"/>), other rows 7 to 16 wide padded by 1 one
/// vector per row, each input row loaded once for its three output rows (<see cref="DepthwiseNarrowRowsAvx512"/>),
/// other planes up to 32² padded by 1 flat (<see cref="DepthwiseStrideOneAvx512"/>), other stride-1 planes row by row
/// (<see cref="DepthwiseRowsAvx512"/>),
/// stride 2 with two-source permutes: 14×14 to 7×7 written out for that size (<see cref="DepthwiseStrideTwoSevenBySevenAvx512"/>),
/// 8 to 15 outputs wide padded by 1 one vector per output row, each input row
/// loaded once (<see cref="DepthwiseStrideTwoNarrowAvx512"/>), others in <see cref="DepthwiseStrideTwoAvx512"/>.
/// </summary>
internal static unsafe class DepthwiseConv2d
{
    public static void Forward(in Conv2dShape shape, float* x, float* w, float* bias, float* y, Epilogue epilogue, int threads, CpuIsa isa)
    {
        var s = shape;
        if (isa == CpuIsa.Avx512 && DepthwiseSevenBySevenAvx512.Applies(s))
        {
            DepthwiseSevenBySevenAvx512.Forward(s, x, w, bias, y, epilogue, threads);
            return;
        }
        if (isa == CpuIsa.Avx512 && DepthwiseNarrowRowsAvx512.Applies(s))
        {
            DepthwiseNarrowRowsAvx512.Forward(s, x, w, bias, y, epilogue, threads);
            return;
        }
        if (isa == CpuIsa.Avx512 && DepthwiseStrideOneAvx512.Applies(s))
        {
            DepthwiseStrideOneAvx512.Forward(s, x, w, bias, y, epilogue, threads);
            return;
        }
        if (isa == CpuIsa.Avx512 && DepthwiseRowsAvx512.Applies(s))
        {
            DepthwiseRowsAvx512.Forward(s, x, w, bias, y, epilogue, threads);
            return;
        }
        if (isa == CpuIsa.Avx512 && DepthwiseStrideTwoSevenBySevenAvx512.Applies(s))
        {
            DepthwiseStrideTwoSevenBySevenAvx512.Forward(s, x, w, bias, y, epilogue, threads);
            return;
        }
        if (isa == CpuIsa.Avx512 && DepthwiseStrideTwoNarrowAvx512.Applies(s))
        {
            DepthwiseStrideTwoNarrowAvx512.Forward(s, x, w, bias, y, epilogue, threads);
            return;
        }
        if (isa == CpuIsa.Avx512 && DepthwiseStrideTwoAvx512.Applies(s))
        {
            DepthwiseStrideTwoAvx512.Forward(s, x, w, bias, y, epilogue, threads);
            return;
        }
        if (DepthwiseSmallPlane.Applies(s))
        {
            DepthwiseSmallPlane.Forward(s, x, w, bias, y, epilogue, threads);
            return;
        }
        if (s.R == 3 && s.S == 3 && s.StrideH == 1 && s.StrideW == 1 && s.DilationH == 1 && s.DilationW == 1)
        {
            DirectThreeByThree(s, x, w, bias, y, epilogue, threads);
            return;
        }
        if (s.R == 3 && s.S == 3 && s.StrideH == 2 && s.StrideW == 2 && s.DilationH == 1 && s.DilationW == 1)
        {
            DepthwiseStrideTwo.Forward(s, x, w, bias, y, epilogue, threads);
            return;
        }
        var layout = new PaddedLayout(s);
        var store = new VectorEpilogue(epilogue);
        nint xs = (nint)x, ws = (nint)w, bs = (nint)bias, ys = (nint)y;
        CpuParallel.ForRange(s.N * s.C, threads, 8, (start, end) =>
        {
            float* padded = ThreadScratch.Get(0, layout.Size);
            var taps = stackalloc Vector256<float>[s.R * s.S];
            for (long plane = start; plane < end; plane++)
            {
                int c = (int)(plane % s.C);
                for (int t = 0; t < s.R * s.S; t++) taps[t] = Vector256.Create(((float*)ws)[(long)c * s.R * s.S + t]);
                var initial = Vector256.Create(bs != 0 ? ((float*)bs)[c] : 0f);
                layout.Fill((float*)xs + plane * s.H * s.W, padded);
                Plane(s, layout, padded, taps, initial, store, (float*)ys + plane * s.P * s.Q);
            }
        }, chunksPerThread: 16);
    }

    /// <summary>
    /// 3×3 stride 1 straight from the input, without a padded copy: rows above or below the image read a
    /// zero row, and the column blocks at the left and right edges use masked loads (masked-off lanes are
    /// never touched), so small planes pay no per-plane copy.
    /// </summary>
    private static void DirectThreeByThree(Conv2dShape s, float* x, float* w, float* bias, float* y, Epilogue epilogue, int threads)
    {
        int p = s.P, q = s.Q, blocks = (q + 7) / 8;
        var store = new VectorEpilogue(epilogue);
        // Per column block and tap: the lanes whose input column lies inside the row; interior blocks need none.
        var masks = new Vector256<float>[blocks * 3];
        var interior = new bool[blocks];
        for (int b = 0; b < blocks; b++)
        {
            int first = b * 8 - s.PadW;
            interior[b] = first >= 0 && first + 9 < s.W && b * 8 + 8 <= q;
            for (int t = 0; t < 3; t++)
            {
                var columns = Vector256.Create(first + t) + Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
                var inside = Vector256.GreaterThanOrEqual(columns, Vector256<int>.Zero) & Vector256.LessThan(columns, Vector256.Create(s.W));
                masks[b * 3 + t] = inside.AsSingle();
            }
        }
        nint xs = (nint)x, ws = (nint)w, bs = (nint)bias, ys = (nint)y;
        CpuParallel.ForRange((long)s.N * s.C, threads, 8, (start, end) =>
        {
            float* zeros = ThreadScratch.Get(0, s.W + 16);
            new Span<float>(zeros, s.W + 16).Clear();
            fixed (Vector256<float>* maskTable = masks)
            fixed (bool* inside = interior)
                for (long plane = start; plane < end; plane++)
                {
                    int c = (int)(plane % s.C);
                    DirectPlane(s, (float*)xs + plane * s.H * s.W, (float*)ws + (long)c * 9, bs != 0 ? ((float*)bs)[c] : 0f,
                        (float*)ys + plane * p * q, zeros, maskTable, inside, store);
                }
        }, chunksPerThread: 16);
    }

    /// <summary>One plane of <see cref="DirectThreeByThree"/>; a plain static method so the JIT keeps the nine taps in registers.</summary>
    private static void DirectPlane(in Conv2dShape s, float* input, float* k, float bias, float* output, float* zeros,
        Vector256<float>* maskTable, bool* inside, in VectorEpilogue store)
    {
        int p = s.P, q = s.Q, blocks = (q + 7) / 8, h = s.H, w = s.W, padH = s.PadH, padW = s.PadW;
        var k00 = Vector256.Create(k[0]); var k01 = Vector256.Create(k[1]); var k02 = Vector256.Create(k[2]);
        var k10 = Vector256.Create(k[3]); var k11 = Vector256.Create(k[4]); var k12 = Vector256.Create(k[5]);
        var k20 = Vector256.Create(k[6]); var k21 = Vector256.Create(k[7]); var k22 = Vector256.Create(k[8]);
        var initial = Vector256.Create(bias);
        for (int oh = 0; oh < p; oh++)
        {
            int ih = oh - padH;
            float* r0 = ((uint)ih < (uint)h ? input + (long)ih * w : zeros) - padW;
            float* r1 = ((uint)(ih + 1) < (uint)h ? input + (long)(ih + 1) * w : zeros) - padW;
            float* r2 = ((uint)(ih + 2) < (uint)h ? input + (long)(ih + 2) * w : zeros) - padW;
            float* outRow = output + (long)oh * q;
            for (int b = 0; b < blocks; b++)
            {
                int ow = b * 8;
                Vector256<float> acc;
                if (inside[b])
                {
                    acc = Fma.MultiplyAdd(k00, Avx.LoadVector256(r0 + ow), initial);
                    acc = Fma.MultiplyAdd(k01, Avx.LoadVector256(r0 + ow + 1), acc);
                    acc = Fma.MultiplyAdd(k02, Avx.LoadVector256(r0 + ow + 2), acc);
                    acc = Fma.MultiplyAdd(k10, Avx.LoadVector256(r1 + ow), acc);
                    acc = Fma.MultiplyAdd(k11, Avx.LoadVector256(r1 + ow + 1), acc);
                    acc = Fma.MultiplyAdd(k12, Avx.LoadVector256(r1 + ow + 2), acc);
                    acc = Fma.MultiplyAdd(k20, Avx.LoadVector256(r2 + ow), acc);
                    acc = Fma.MultiplyAdd(k21, Avx.LoadVector256(r2 + ow + 1), acc);
                    acc = Fma.MultiplyAdd(k22, Avx.LoadVector256(r2 + ow + 2), acc);
                    Avx.Store(outRow + ow, store.Apply(acc));
                    continue;
                }
                var m0 = maskTable[b * 3];
                var m1 = maskTable[b * 3 + 1];
                var m2 = maskTable[b * 3 + 2];
                acc = Fma.MultiplyAdd(k00, Avx.MaskLoad(r0 + ow, m0), initial);
                acc = Fma.MultiplyAdd(k01, Avx.MaskLoad(r0 + ow + 1, m1), acc);
                acc = Fma.MultiplyAdd(k02, Avx.MaskLoad(r0 + ow + 2, m2), acc);
                acc = Fma.MultiplyAdd(k10, Avx.MaskLoad(r1 + ow, m0), acc);
                acc = Fma.MultiplyAdd(k11, Avx.MaskLoad(r1 + ow + 1, m1), acc);
                acc = Fma.MultiplyAdd(k12, Avx.MaskLoad(r1 + ow + 2, m2), acc);
                acc = Fma.MultiplyAdd(k20, Avx.MaskLoad(r2 + ow, m0), acc);
                acc = Fma.MultiplyAdd(k21, Avx.MaskLoad(r2 + ow + 1, m1), acc);
                acc = Fma.MultiplyAdd(k22, Avx.MaskLoad(r2 + ow + 2, m2), acc);
                acc = store.Apply(acc);
                if (ow + 8 <= q) Avx.Store(outRow + ow, acc);
                else PartialStore.Store(outRow + ow, acc, q - ow);
            }
        }
    }

    private static void Plane(in Conv2dShape s, in PaddedLayout layout, float* padded, Vector256<float>* taps,
        Vector256<float> initial, in VectorEpilogue store, float* output)
    {
        int p = s.P, q = s.Q, full = q & ~7;
        // Tap (r, t) reads phase (t·dw) mod sw at offset (t·dw) div sw.
        int* tapOffsets = stackalloc int[s.S];
        for (int t = 0; t < s.S; t++)
            tapOffsets[t] = layout.TapOffset(t, s.DilationW);
        if (s.R == 3 && s.S == 3)
        {
            ThreeByThree(s, layout, padded, taps, tapOffsets, initial, store, output);
            return;
        }
        for (int oh = 0; oh < p; oh++)
        {
            float* outRow = output + (long)oh * q;
            for (int ow = 0; ow < q; ow += 8)
            {
                var acc = initial;
                for (int r = 0; r < s.R; r++)
                {
                    float* row = padded + (long)(oh * s.StrideH + r * s.DilationH) * layout.RowLength + ow;
                    Vector256<float>* tap = taps + r * s.S;
                    for (int t = 0; t < s.S; t++)
                        acc = Fma.MultiplyAdd(tap[t], Avx.LoadVector256(row + tapOffsets[t]), acc);
                }
                acc = store.Apply(acc);
                if (ow < full) Avx.Store(outRow + ow, acc);
                else PartialStore.Store(outRow + ow, acc, q - ow);
            }
        }
    }

    /// <summary>The common 3×3 case with the nine taps in registers and two output vectors in flight.</summary>
    private static void ThreeByThree(in Conv2dShape s, in PaddedLayout layout, float* padded, Vector256<float>* taps, int* tapOffsets,
        Vector256<float> initial, in VectorEpilogue store, float* output)
    {
        int p = s.P, q = s.Q, full = q & ~7;
        var k00 = taps[0]; var k01 = taps[1]; var k02 = taps[2];
        var k10 = taps[3]; var k11 = taps[4]; var k12 = taps[5];
        var k20 = taps[6]; var k21 = taps[7]; var k22 = taps[8];
        int o0 = tapOffsets[0], o1 = tapOffsets[1], o2 = tapOffsets[2];
        long rowStep = (long)s.DilationH * layout.RowLength;
        for (int oh = 0; oh < p; oh++)
        {
            float* outRow = output + (long)oh * q;
            float* r0 = padded + (long)oh * s.StrideH * layout.RowLength;
            float* r1 = r0 + rowStep, r2 = r1 + rowStep;
            int ow = 0;
            for (; ow + 16 <= full; ow += 16)
            {
                var a = Fma.MultiplyAdd(k00, Avx.LoadVector256(r0 + ow + o0), initial);
                var b = Fma.MultiplyAdd(k00, Avx.LoadVector256(r0 + ow + 8 + o0), initial);
                a = Fma.MultiplyAdd(k01, Avx.LoadVector256(r0 + ow + o1), a);
                b = Fma.MultiplyAdd(k01, Avx.LoadVector256(r0 + ow + 8 + o1), b);
                a = Fma.MultiplyAdd(k02, Avx.LoadVector256(r0 + ow + o2), a);
                b = Fma.MultiplyAdd(k02, Avx.LoadVector256(r0 + ow + 8 + o2), b);
                a = Fma.MultiplyAdd(k10, Avx.LoadVector256(r1 + ow + o0), a);
                b = Fma.MultiplyAdd(k10, Avx.LoadVector256(r1 + ow + 8 + o0), b);
                a = Fma.MultiplyAdd(k11, Avx.LoadVector256(r1 + ow + o1), a);
                b = Fma.MultiplyAdd(k11, Avx.LoadVector256(r1 + ow + 8 + o1), b);
                a = Fma.MultiplyAdd(k12, Avx.LoadVector256(r1 + ow + o2), a);
                b = Fma.MultiplyAdd(k12, Avx.LoadVector256(r1 + ow + 8 + o2), b);
                a = Fma.MultiplyAdd(k20, Avx.LoadVector256(r2 + ow + o0), a);
                b = Fma.MultiplyAdd(k20, Avx.LoadVector256(r2 + ow + 8 + o0), b);
                a = Fma.MultiplyAdd(k21, Avx.LoadVector256(r2 + ow + o1), a);
                b = Fma.MultiplyAdd(k21, Avx.LoadVector256(r2 + ow + 8 + o1), b);
                a = Fma.MultiplyAdd(k22, Avx.LoadVector256(r2 + ow + o2), a);
                b = Fma.MultiplyAdd(k22, Avx.LoadVector256(r2 + ow + 8 + o2), b);
                Avx.Store(outRow + ow, store.Apply(a));
                Avx.Store(outRow + ow + 8, store.Apply(b));
            }
            for (; ow < q; ow += 8)
            {
                var a = Fma.MultiplyAdd(k00, Avx.LoadVector256(r0 + ow + o0), initial);
                a = Fma.MultiplyAdd(k01, Avx.LoadVector256(r0 + ow + o1), a);
                a = Fma.MultiplyAdd(k02, Avx.LoadVector256(r0 + ow + o2), a);
                a = Fma.MultiplyAdd(k10, Avx.LoadVector256(r1 + ow + o0), a);
                a = Fma.MultiplyAdd(k11, Avx.LoadVector256(r1 + ow + o1), a);
                a = Fma.MultiplyAdd(k12, Avx.LoadVector256(r1 + ow + o2), a);
                a = Fma.MultiplyAdd(k20, Avx.LoadVector256(r2 + ow + o0), a);
                a = Fma.MultiplyAdd(k21, Avx.LoadVector256(r2 + ow + o1), a);
                a = Fma.MultiplyAdd(k22, Avx.LoadVector256(r2 + ow + o2), a);
                a = store.Apply(a);
                if (ow < full) Avx.Store(outRow + ow, a);
                else PartialStore.Store(outRow + ow, a, q - ow);
            }
        }
    }
}
