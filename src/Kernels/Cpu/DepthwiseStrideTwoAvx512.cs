using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Depthwise 3×3 stride 2 with 16-lane vectors, straight from the input. The even and odd input columns are separated
/// with two-source permutes (vpermt2ps). Output rows of at most 7 (14×14 inputs and smaller) go two to a vector: each
/// tap row loads 16 input columns of two input rows, two rows apart, and one permute per tap gathers both output rows'
/// inputs; a compress packs the two rows' outputs for one store. Wider rows take 16 outputs of one row per vector from
/// four loads per tap row. Rows outside the image read a zero row; columns outside it are masked off on load (masked
/// lanes are never touched).
/// </summary>
internal static unsafe class DepthwiseStrideTwoAvx512
{
    /// <summary>Widest output row that two rows fit one vector: output column 6's last tap is input lane 14 of the load.</summary>
    private const int PairedMaxQ = 7;

    public static bool Applies(in Conv2dShape s) =>
        s.R == 3 && s.S == 3 && s.StrideH == 2 && s.StrideW == 2 && s.DilationH == 1 && s.DilationW == 1;

    public static void Forward(Conv2dShape s, float* x, float* w, float* bias, float* y, Epilogue epilogue, int threads)
    {
        int q = s.Q, blocks = (q + 15) / 16;
        bool paired = q <= PairedMaxQ;
        var store = new VectorEpilogue512(epilogue);
        // Paired: one mask for every load (lane l is input column l − PadW). Rows: per block, the four loads' masks.
        var (masks, interior) = paired
            ? ([StrideTwoRows512.InsideMask(-s.PadW, s.W)], new bool[blocks])
            : StrideTwoRows512.BlockMasks(q, s.PadW, s.W);
        var job = new Job(s, x, w, bias, y, paired, masks, interior);
        long minChunk = Math.Max(8, 4096 / Math.Max(1, (long)s.P * q));
        CpuParallel.ForRange((long)s.N * s.C, threads, minChunk, (start, end) => PlaneEpilogue512.Run(job, epilogue, store, start, end), chunksPerThread: 16);
    }

    /// <summary>What every chunk of planes needs.</summary>
    private readonly struct Job(Conv2dShape shape, float* x, float* w, float* bias, float* y, bool paired, Vector512<float>[] masks,
        bool[] interior) : IPlaneRange512
    {
        public void Run<TStore>(long start, long end, TStore store) where TStore : struct, IVectorEpilogue512 => Planes(this, start, end, store);

        public readonly Conv2dShape Shape = shape;
        public readonly float* X = x, W = w, Bias = bias, Y = y;
        public readonly bool Paired = paired;
        public readonly Vector512<float>[] Masks = masks;
        public readonly bool[] Interior = interior;
    }

    private static void Planes<TStore>(in Job job, long start, long end, TStore store) where TStore : struct, IVectorEpilogue512
    {
        var s = job.Shape;
        // The zero row stands for rows outside the image; interior blocks read it with plain loads, so it spans the row.
        int margin = s.PadW + 16, zeroLength = margin + (s.Q + 15) / 16 * 32 + 34 + 16;
        float* zeroRow = ThreadScratch.Get(0, zeroLength);
        new Span<float>(zeroRow, zeroLength).Clear();
        float* zeros = zeroRow + margin;
        var sizes = new PlaneSizes(s);
        if (job.Paired)
        {
            PairedPlanes(sizes, job, start, end, zeros, job.Masks[0], store);
            return;
        }
        long planeIn = (long)s.H * s.W, planeOut = (long)sizes.P * sizes.Q;
        fixed (Vector512<float>* maskTable = job.Masks)
        fixed (bool* inside = job.Interior)
            for (long plane = start; plane < end; plane++)
            {
                int c = (int)(plane % s.C);
                float* input = job.X + plane * planeIn, k = job.W + (long)c * 9, output = job.Y + plane * planeOut;
                float bias = job.Bias != null ? job.Bias[c] : 0f;
                RowPlane(sizes, input, k, bias, output, zeros, maskTable, inside, store);
            }
    }

    /// <summary>The shape's sizes as plain fields, read once per chunk (the shape's P and Q are computed properties).</summary>
    private readonly struct PlaneSizes(in Conv2dShape s)
    {
        public readonly int P = s.P, Q = s.Q, H = s.H, W = s.W, C = s.C, PadH = s.PadH, PadW = s.PadW;
    }

    /// <summary>
    /// Planes [start, end) with output rows oh and oh + 1 in lanes 0–7 and 8–15 of one vector. The index vectors and
    /// masks are set up once for all of them (a 7×7 output plane is only 4 vectors); each plane loads its taps and bias.
    /// </summary>
    private static void PairedPlanes<TStore>(in PlaneSizes s, in Job job, long start, long end, float* zeros, Vector512<float> mask,
        TStore store) where TStore : struct, IVectorEpilogue512
    {
        int p = s.P, q = s.Q, h = s.H, w = s.W, padH = s.PadH, padW = s.PadW, channels = s.C;
        long planeIn = (long)h * w, planeOut = (long)p * q;
        float* x = job.X, y = job.Y, weights = job.W, biases = job.Bias;
        // Tap column t of output column ow is load lane 2·ow + t; lanes 8–15 take the same from the second load.
        var left = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var centre = left + Vector512<int>.One;
        var right = left + Vector512.Create(2);
        var bothRows = (Vector512.LessThan(Vector512<int>.Indices & Vector512.Create(7), Vector512.Create(q))).AsSingle();
        var firstRow = (Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(q))).AsSingle();
        var storeBoth = (Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(2 * q))).AsSingle();
        int c = (int)(start % channels);
        for (long plane = start; plane < end; plane++)
        {
            float* input = x + plane * planeIn, k = weights + (long)c * 9, output = y + plane * planeOut;
            var k0 = Vector512.Create(k[0]); var k1 = Vector512.Create(k[1]); var k2 = Vector512.Create(k[2]);
            var k3 = Vector512.Create(k[3]); var k4 = Vector512.Create(k[4]); var k5 = Vector512.Create(k[5]);
            var k6 = Vector512.Create(k[6]); var k7 = Vector512.Create(k[7]); var k8 = Vector512.Create(k[8]);
            var initial = Vector512.Create(biases != null ? biases[c] : 0f);
            if (++c == channels) c = 0;
            for (int oh = 0; oh < p; oh += 2)
            {
                int ih = oh * 2 - padH;
                // Input rows ih .. ih + 4: the first output row reads ih .. ih + 2, the second ih + 2 .. ih + 4.
                var row0 = Avx512F.MaskLoad(StrideTwoRows512.Row(input, ih, h, w, zeros) - padW, mask, Vector512<float>.Zero);
                var row1 = Avx512F.MaskLoad(StrideTwoRows512.Row(input, ih + 1, h, w, zeros) - padW, mask, Vector512<float>.Zero);
                var row2 = Avx512F.MaskLoad(StrideTwoRows512.Row(input, ih + 2, h, w, zeros) - padW, mask, Vector512<float>.Zero);
                var row3 = Avx512F.MaskLoad(StrideTwoRows512.Row(input, ih + 3, h, w, zeros) - padW, mask, Vector512<float>.Zero);
                var row4 = Avx512F.MaskLoad(StrideTwoRows512.Row(input, ih + 4, h, w, zeros) - padW, mask, Vector512<float>.Zero);
                var a = Avx512F.FusedMultiplyAdd(k0, Avx512F.PermuteVar16x32x2(row0, left, row2), initial);
                var b = Avx512F.Multiply(k1, Avx512F.PermuteVar16x32x2(row0, centre, row2));
                var d = Avx512F.Multiply(k2, Avx512F.PermuteVar16x32x2(row0, right, row2));
                a = Avx512F.FusedMultiplyAdd(k3, Avx512F.PermuteVar16x32x2(row1, left, row3), a);
                b = Avx512F.FusedMultiplyAdd(k4, Avx512F.PermuteVar16x32x2(row1, centre, row3), b);
                d = Avx512F.FusedMultiplyAdd(k5, Avx512F.PermuteVar16x32x2(row1, right, row3), d);
                a = Avx512F.FusedMultiplyAdd(k6, Avx512F.PermuteVar16x32x2(row2, left, row4), a);
                b = Avx512F.FusedMultiplyAdd(k7, Avx512F.PermuteVar16x32x2(row2, centre, row4), b);
                d = Avx512F.FusedMultiplyAdd(k8, Avx512F.PermuteVar16x32x2(row2, right, row4), d);
                var result = store.Apply(a + (b + d));
                if (oh + 1 < p) Avx512F.MaskStore(output + oh * q, storeBoth, Avx512F.Compress(Vector512<float>.Zero, bothRows, result));
                else Avx512F.MaskStore(output + oh * q, firstRow, result);
            }
        }
    }

    /// <summary>16 outputs of one row per vector.</summary>
    private static void RowPlane<TStore>(in PlaneSizes s, float* input, float* k, float bias, float* output, float* zeros,
        Vector512<float>* masks, bool* interior, TStore store) where TStore : struct, IVectorEpilogue512
    {
        int p = s.P, q = s.Q, blocks = (q + 15) / 16, h = s.H, w = s.W, padH = s.PadH, padW = s.PadW;
        var k0 = Vector512.Create(k[0]); var k1 = Vector512.Create(k[1]); var k2 = Vector512.Create(k[2]);
        var k3 = Vector512.Create(k[3]); var k4 = Vector512.Create(k[4]); var k5 = Vector512.Create(k[5]);
        var k6 = Vector512.Create(k[6]); var k7 = Vector512.Create(k[7]); var k8 = Vector512.Create(k[8]);
        var initial = Vector512.Create(bias);
        var tail = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(q - (blocks - 1) * 16)).AsSingle();
        for (int oh = 0; oh < p; oh++)
        {
            int ih = oh * 2 - padH;
            float* r0 = StrideTwoRows512.Row(input, ih, h, w, zeros) - padW;
            float* r1 = StrideTwoRows512.Row(input, ih + 1, h, w, zeros) - padW;
            float* r2 = StrideTwoRows512.Row(input, ih + 2, h, w, zeros) - padW;
            float* outRow = output + (long)oh * q;
            for (int b = 0; b < blocks; b++)
            {
                int col = b * 32;
                Vector512<float> acc;
                if (interior[b])
                {
                    acc = Taps(r0 + col, k0, k1, k2, initial);
                    acc = Taps(r1 + col, k3, k4, k5, acc);
                    acc = Taps(r2 + col, k6, k7, k8, acc);
                }
                else
                {
                    Vector512<float>* m = masks + 4 * b;
                    acc = MaskedTaps(r0 + col, m, k0, k1, k2, initial);
                    acc = MaskedTaps(r1 + col, m, k3, k4, k5, acc);
                    acc = MaskedTaps(r2 + col, m, k6, k7, k8, acc);
                }
                acc = store.Apply(acc);
                if (b + 1 < blocks) Avx512F.Store(outRow + b * 16, acc);
                else Avx512F.MaskStore(outRow + b * 16, tail, acc);
            }
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Taps(float* src, Vector512<float> k0, Vector512<float> k1, Vector512<float> k2, Vector512<float> acc)
    {
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var a = Avx512F.LoadVector512(src);
        var b = Avx512F.LoadVector512(src + 16);
        acc = Avx512F.FusedMultiplyAdd(k0, Avx512F.PermuteVar16x32x2(a, even, b), acc);
        acc = Avx512F.FusedMultiplyAdd(k1, Avx512F.PermuteVar16x32x2(a, even + Vector512<int>.One, b), acc);
        return Avx512F.FusedMultiplyAdd(k2, Avx512F.PermuteVar16x32x2(Avx512F.LoadVector512(src + 2), even, Avx512F.LoadVector512(src + 18)), acc);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> MaskedTaps(float* src, Vector512<float>* m, Vector512<float> k0, Vector512<float> k1, Vector512<float> k2,
        Vector512<float> acc)
    {
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var a = Avx512F.MaskLoad(src, m[0], Vector512<float>.Zero);
        var b = Avx512F.MaskLoad(src + 16, m[1], Vector512<float>.Zero);
        var c = Avx512F.MaskLoad(src + 2, m[2], Vector512<float>.Zero);
        var d = Avx512F.MaskLoad(src + 18, m[3], Vector512<float>.Zero);
        acc = Avx512F.FusedMultiplyAdd(k0, Avx512F.PermuteVar16x32x2(a, even, b), acc);
        acc = Avx512F.FusedMultiplyAdd(k1, Avx512F.PermuteVar16x32x2(a, even + Vector512<int>.One, b), acc);
        return Avx512F.FusedMultiplyAdd(k2, Avx512F.PermuteVar16x32x2(c, even, d), acc);
    }
}
