using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Depthwise 3×3 stride 1 on AVX-512 for the planes <see cref="DepthwiseStrideOneAvx512"/> does not take (over 32², or
/// padding other than 1): row by row straight from the input, 16 outputs per vector. Rows above or below the image
/// read a zero row; the column blocks at the left and right edges use masked loads (masked-off lanes are never
/// touched), interior blocks plain ones.
/// </summary>
internal static unsafe class DepthwiseRowsAvx512
{
    public static bool Applies(in Conv2dShape s) =>
        s.R == 3 && s.S == 3 && s.StrideH == 1 && s.StrideW == 1 && s.DilationH == 1 && s.DilationW == 1;

    public static void Forward(Conv2dShape s, float* x, float* w, float* bias, float* y, Epilogue epilogue, int threads)
    {
        int p = s.P, q = s.Q, blocks = (q + 15) / 16;
        var store = new VectorEpilogue512(epilogue);
        // Per column block and tap: the lanes whose input column lies inside the row; interior blocks need none.
        var masks = new Vector512<float>[blocks * 3];
        var interior = new bool[blocks];
        for (int b = 0; b < blocks; b++)
        {
            int first = b * 16 - s.PadW;
            interior[b] = first >= 0 && first + 18 <= s.W && b * 16 + 16 <= q;
            for (int t = 0; t < 3; t++)
            {
                var columns = Vector512.Create(first + t) + Vector512<int>.Indices;
                var inside = Vector512.GreaterThanOrEqual(columns, Vector512<int>.Zero) & Vector512.LessThan(columns, Vector512.Create(s.W));
                masks[b * 3 + t] = inside.AsSingle();
            }
        }
        // The zero row is read by interior blocks with plain loads, so it spans the whole row and the padding.
        int margin = s.PadW + 16, zeroLength = margin + blocks * 16 + 18 + 16;
        nint xs = (nint)x, ws = (nint)w, bs = (nint)bias, ys = (nint)y;
        CpuParallel.ForRange((long)s.N * s.C, threads, 8, (start, end) =>
        {
            float* zeroRow = ThreadScratch.Get(0, zeroLength);
            new Span<float>(zeroRow, zeroLength).Clear();
            fixed (Vector512<float>* maskTable = masks)
            fixed (bool* inside = interior)
                for (long plane = start; plane < end; plane++)
                {
                    int c = (int)(plane % s.C);
                    Plane(s, (float*)xs + plane * s.H * s.W, (float*)ws + (long)c * 9, bs != 0 ? ((float*)bs)[c] : 0f,
                        (float*)ys + plane * p * q, zeroRow + margin, maskTable, inside, store);
                }
        }, chunksPerThread: 16);
    }

    /// <summary>One plane; a plain static method so the JIT keeps the nine taps in registers.</summary>
    private static void Plane(in Conv2dShape s, float* input, float* k, float bias, float* output, float* zeros,
        Vector512<float>* maskTable, bool* inside, in VectorEpilogue512 store)
    {
        int p = s.P, q = s.Q, blocks = (q + 15) / 16, h = s.H, w = s.W, padH = s.PadH, padW = s.PadW;
        var k00 = Vector512.Create(k[0]); var k01 = Vector512.Create(k[1]); var k02 = Vector512.Create(k[2]);
        var k10 = Vector512.Create(k[3]); var k11 = Vector512.Create(k[4]); var k12 = Vector512.Create(k[5]);
        var k20 = Vector512.Create(k[6]); var k21 = Vector512.Create(k[7]); var k22 = Vector512.Create(k[8]);
        var initial = Vector512.Create(bias);
        var tail = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(q - (blocks - 1) * 16)).AsSingle();
        for (int oh = 0; oh < p; oh++)
        {
            int ih = oh - padH;
            float* r0 = ((uint)ih < (uint)h ? input + (long)ih * w : zeros) - padW;
            float* r1 = ((uint)(ih + 1) < (uint)h ? input + (long)(ih + 1) * w : zeros) - padW;
            float* r2 = ((uint)(ih + 2) < (uint)h ? input + (long)(ih + 2) * w : zeros) - padW;
            float* outRow = output + (long)oh * q;
            for (int b = 0; b < blocks; b++)
            {
                int ow = b * 16;
                Vector512<float> acc;
                if (inside[b])
                {
                    // Three partial sums: a chain of nine dependent FMAs would be latency-bound.
                    var a = Avx512F.FusedMultiplyAdd(k00, Avx512F.LoadVector512(r0 + ow), initial);
                    var m = Avx512F.Multiply(k01, Avx512F.LoadVector512(r0 + ow + 1));
                    var c = Avx512F.Multiply(k02, Avx512F.LoadVector512(r0 + ow + 2));
                    a = Avx512F.FusedMultiplyAdd(k10, Avx512F.LoadVector512(r1 + ow), a);
                    m = Avx512F.FusedMultiplyAdd(k11, Avx512F.LoadVector512(r1 + ow + 1), m);
                    c = Avx512F.FusedMultiplyAdd(k12, Avx512F.LoadVector512(r1 + ow + 2), c);
                    a = Avx512F.FusedMultiplyAdd(k20, Avx512F.LoadVector512(r2 + ow), a);
                    m = Avx512F.FusedMultiplyAdd(k21, Avx512F.LoadVector512(r2 + ow + 1), m);
                    c = Avx512F.FusedMultiplyAdd(k22, Avx512F.LoadVector512(r2 + ow + 2), c);
                    Avx512F.Store(outRow + ow, store.Apply(a + (m + c)));
                    continue;
                }
                var m0 = maskTable[b * 3];
                var m1 = maskTable[b * 3 + 1];
                var m2 = maskTable[b * 3 + 2];
                var e0 = Avx512F.FusedMultiplyAdd(k00, Avx512F.MaskLoad(r0 + ow, m0, Vector512<float>.Zero), initial);
                var e1 = Avx512F.Multiply(k01, Avx512F.MaskLoad(r0 + ow + 1, m1, Vector512<float>.Zero));
                var e2 = Avx512F.Multiply(k02, Avx512F.MaskLoad(r0 + ow + 2, m2, Vector512<float>.Zero));
                e0 = Avx512F.FusedMultiplyAdd(k10, Avx512F.MaskLoad(r1 + ow, m0, Vector512<float>.Zero), e0);
                e1 = Avx512F.FusedMultiplyAdd(k11, Avx512F.MaskLoad(r1 + ow + 1, m1, Vector512<float>.Zero), e1);
                e2 = Avx512F.FusedMultiplyAdd(k12, Avx512F.MaskLoad(r1 + ow + 2, m2, Vector512<float>.Zero), e2);
                e0 = Avx512F.FusedMultiplyAdd(k20, Avx512F.MaskLoad(r2 + ow, m0, Vector512<float>.Zero), e0);
                e1 = Avx512F.FusedMultiplyAdd(k21, Avx512F.MaskLoad(r2 + ow + 1, m1, Vector512<float>.Zero), e1);
                e2 = Avx512F.FusedMultiplyAdd(k22, Avx512F.MaskLoad(r2 + ow + 2, m2, Vector512<float>.Zero), e2);
                acc = store.Apply(e0 + (e1 + e2));
                if (ow + 16 <= q) Avx512F.Store(outRow + ow, acc);
                else Avx512F.MaskStore(outRow + ow, tail, acc);
            }
        }
    }
}
