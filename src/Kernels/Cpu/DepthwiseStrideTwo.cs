using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Depthwise 3×3 stride 2 straight from the input, without the padded phase-split copy: the even and odd
/// input columns of 8 outputs are separated on load with one in-lane shuffle each. The in-lane shuffle leaves
/// the outputs in the order 0 1 4 5 2 3 6 7 for every tap alike, so one 64-bit permute per output vector puts
/// them back. Rows outside the image read a zero row; edge column blocks use masked loads (masked-off
/// lanes are never touched).
/// </summary>
internal static unsafe class DepthwiseStrideTwo
{
    /// <summary>Column offsets (from the block's first input column) of the four loads per input row.</summary>
    private const int LoadsPerRow = 4;

    /// <summary>Zero floats on each side of the zero row so unmasked edge loads stay inside it.</summary>
    private const int ZeroMargin = 32;

    public static void Forward(Conv2dShape s, float* x, float* w, float* bias, float* y, Epilogue epilogue, int threads)
    {
        int q = s.Q, blocks = (q + 7) / 8;
        var store = new VectorEpilogue(epilogue);
        var masks = new Vector256<float>[blocks * LoadsPerRow];
        var interior = new bool[blocks];
        for (int b = 0; b < blocks; b++)
        {
            int first = b * 16 - s.PadW;
            interior[b] = first >= 0 && first + 18 <= s.W;
            for (int j = 0; j < LoadsPerRow; j++)
            {
                var columns = Vector256.Create(first + LoadOffset(j)) + Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
                var inside = Vector256.GreaterThanOrEqual(columns, Vector256<int>.Zero) & Vector256.LessThan(columns, Vector256.Create(s.W));
                masks[b * LoadsPerRow + j] = inside.AsSingle();
            }
        }
        nint xs = (nint)x, ws = (nint)w, bs = (nint)bias, ys = (nint)y;
        long planeOut = (long)s.P * q;
        // Small planes: enough planes per chunk that the per-chunk cost stays small next to the work.
        long minChunk = Math.Max(8, 4096 / Math.Max(1, planeOut));
        // Edge blocks of planes away from the tensor's ends take plain loads and AND the mask in (cheaper than
        // masked loads): their stray lanes read neighbouring rows or planes, never outside the tensor. The zero
        // row is padded on both sides for the same reason.
        long planeIn = (long)s.H * s.W, total = s.N * s.C * planeIn;
        int reach = blocks * 16 + 18 - s.PadW - s.W, zeroLength = ZeroMargin + blocks * 16 + 18 + ZeroMargin;
        CpuParallel.ForRange((long)s.N * s.C, threads, minChunk, (start, end) =>
        {
            float* zeroRow = ThreadScratch.Get(0, zeroLength);
            new Span<float>(zeroRow, zeroLength).Clear();
            float* zeros = zeroRow + ZeroMargin;
            fixed (Vector256<float>* maskTable = masks)
            fixed (bool* inside = interior)
                for (long plane = start; plane < end; plane++)
                {
                    int c = (int)(plane % s.C);
                    bool roomy = s.PadW <= ZeroMargin && plane * planeIn - s.PadW >= 0 && (plane + 1) * planeIn + Math.Max(0, reach) <= total;
                    Plane(s, roomy, (float*)xs + plane * planeIn, (float*)ws + (long)c * 9, bs != 0 ? ((float*)bs)[c] : 0f,
                        (float*)ys + plane * planeOut, zeros, maskTable, inside, store);
                }
        }, chunksPerThread: 16);
    }

    private static int LoadOffset(int j) => j switch { 0 => 0, 1 => 8, 2 => 2, _ => 10 };

    private static void Plane(in Conv2dShape s, bool roomy, float* input, float* k, float bias, float* output, float* zeros,
        Vector256<float>* maskTable, bool* inside, in VectorEpilogue store)
    {
        int p = s.P, q = s.Q, blocks = (q + 7) / 8, h = s.H, w = s.W, padH = s.PadH, padW = s.PadW;
        var k00 = Vector256.Create(k[0]); var k01 = Vector256.Create(k[1]); var k02 = Vector256.Create(k[2]);
        var k10 = Vector256.Create(k[3]); var k11 = Vector256.Create(k[4]); var k12 = Vector256.Create(k[5]);
        var k20 = Vector256.Create(k[6]); var k21 = Vector256.Create(k[7]); var k22 = Vector256.Create(k[8]);
        var initial = Vector256.Create(bias);
        for (int oh = 0; oh < p; oh++)
        {
            int ih = oh * 2 - padH;
            float* r0 = ((uint)ih < (uint)h ? input + (long)ih * w : zeros) - padW;
            float* r1 = ((uint)(ih + 1) < (uint)h ? input + (long)(ih + 1) * w : zeros) - padW;
            float* r2 = ((uint)(ih + 2) < (uint)h ? input + (long)(ih + 2) * w : zeros) - padW;
            float* outRow = output + (long)oh * q;
            for (int b = 0; b < blocks; b++)
            {
                int ow = b * 8, col = b * 16;
                Vector256<float> acc;
                if (inside[b])
                {
                    acc = Row(r0 + col, k00, k01, k02, initial);
                    acc = Row(r1 + col, k10, k11, k12, acc);
                    acc = Row(r2 + col, k20, k21, k22, acc);
                }
                else if (roomy)
                {
                    Vector256<float>* m = maskTable + b * LoadsPerRow;
                    acc = AndRow(r0 + col, m, k00, k01, k02, initial);
                    acc = AndRow(r1 + col, m, k10, k11, k12, acc);
                    acc = AndRow(r2 + col, m, k20, k21, k22, acc);
                }
                else
                {
                    Vector256<float>* m = maskTable + b * LoadsPerRow;
                    acc = MaskedRow(r0 + col, m, k00, k01, k02, initial);
                    acc = MaskedRow(r1 + col, m, k10, k11, k12, acc);
                    acc = MaskedRow(r2 + col, m, k20, k21, k22, acc);
                }
                acc = Avx2.Permute4x64(store.Apply(acc).AsDouble(), 0b11_01_10_00).AsSingle();
                if (ow + 8 <= q) Avx.Store(outRow + ow, acc);
                else PartialStore.Store(outRow + ow, acc, q - ow);
            }
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Row(float* src, Vector256<float> k0, Vector256<float> k1, Vector256<float> k2, Vector256<float> acc)
    {
        var a = Avx.LoadVector256(src);
        var b = Avx.LoadVector256(src + 8);
        var c = Avx.LoadVector256(src + 2);
        var d = Avx.LoadVector256(src + 10);
        acc = Fma.MultiplyAdd(k0, Avx.Shuffle(a, b, 0b10_00_10_00), acc);
        acc = Fma.MultiplyAdd(k1, Avx.Shuffle(a, b, 0b11_01_11_01), acc);
        return Fma.MultiplyAdd(k2, Avx.Shuffle(c, d, 0b10_00_10_00), acc);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MaskedRow(float* src, Vector256<float>* m, Vector256<float> k0, Vector256<float> k1, Vector256<float> k2,
        Vector256<float> acc)
    {
        var a = Avx.MaskLoad(src, m[0]);
        var b = Avx.MaskLoad(src + 8, m[1]);
        var c = Avx.MaskLoad(src + 2, m[2]);
        var d = Avx.MaskLoad(src + 10, m[3]);
        acc = Fma.MultiplyAdd(k0, Avx.Shuffle(a, b, 0b10_00_10_00), acc);
        acc = Fma.MultiplyAdd(k1, Avx.Shuffle(a, b, 0b11_01_11_01), acc);
        return Fma.MultiplyAdd(k2, Avx.Shuffle(c, d, 0b10_00_10_00), acc);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> AndRow(float* src, Vector256<float>* m, Vector256<float> k0, Vector256<float> k1, Vector256<float> k2,
        Vector256<float> acc)
    {
        var a = Avx.And(Avx.LoadVector256(src), m[0]);
        var b = Avx.And(Avx.LoadVector256(src + 8), m[1]);
        var c = Avx.And(Avx.LoadVector256(src + 2), m[2]);
        var d = Avx.And(Avx.LoadVector256(src + 10), m[3]);
        acc = Fma.MultiplyAdd(k0, Avx.Shuffle(a, b, 0b10_00_10_00), acc);
        acc = Fma.MultiplyAdd(k1, Avx.Shuffle(a, b, 0b11_01_11_01), acc);
        return Fma.MultiplyAdd(k2, Avx.Shuffle(c, d, 0b10_00_10_00), acc);
    }
}
