using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Depthwise 3×3 stride 2 padding 1 on small planes with 16-lane vectors. Each plane is split into its four stride
/// phases (even/odd input rows × even/odd columns, zero padding included), each a (P+1)×(Q+1) array, with one
/// two-source permute per 16 phase elements. In the phases every tap of output (oh, ow) is a constant shift of the
/// flat index oh·(Q+1) + ow, so the outputs are computed as one flat array of whole vectors (7×7 outputs: 4 vectors)
/// with no masks; the one extra column per row is dropped by a compress before the store.
/// </summary>
internal static unsafe class DepthwiseStrideTwoAvx512
{
    /// <summary>Largest flat output (P·(Q+1)); keeps the four phases and the per-vector store masks in L1.</summary>
    public const int MaxFlat = 1024;

    public static bool Applies(in Conv2dShape s) =>
        s.R == 3 && s.S == 3 && s.StrideH == 2 && s.StrideW == 2 && s.DilationH == 1 && s.DilationW == 1
        && s.PadH == 1 && s.PadW == 1 && (long)s.P * (s.Q + 1) <= MaxFlat;

    public static void Forward(Conv2dShape s, float* x, float* w, float* bias, float* y, Epilogue epilogue, int threads)
    {
        int p = s.P, q = s.Q, rowLength = q + 1, flat = p * rowLength, vectors = (flat + 15) / 16;
        int chunks = (rowLength + 15) / 16;
        // Fill writes whole 16-element chunks per phase row (spilling into the next row, which is written after it);
        // the computation reads up to one row and one element past its last vector.
        int phaseLength = RoundUp(Math.Max(vectors * 16 + rowLength + 1, p * rowLength + chunks * 16));
        var store = new VectorEpilogue512(epilogue);
        // Per phase-row chunk k: the input columns of its two loads (2v − 1 + b for v in the chunk) that lie in [0, W).
        var loadMasks = new Vector512<float>[chunks * 4];
        for (int k = 0; k < chunks; k++)
            for (int b = 0; b < 2; b++)
                for (int half = 0; half < 2; half++)
                {
                    var columns = Vector512.Create(32 * k + b - 1 + 16 * half) + Vector512<int>.Indices;
                    var inside = Vector512.GreaterThanOrEqual(columns, Vector512<int>.Zero) & Vector512.LessThan(columns, Vector512.Create(s.W));
                    loadMasks[k * 4 + b * 2 + half] = inside.AsSingle();
                }
        // Per output vector: the lanes that are outputs (not the extra column, not past the end), where they go, how many.
        var keep = new Vector512<float>[vectors];
        var count = new Vector512<float>[vectors];
        var destination = new int[vectors];
        for (int v = 0; v < vectors; v++)
        {
            var lanes = new int[16];
            int kept = 0;
            for (int lane = 0; lane < 16; lane++)
            {
                int j = v * 16 + lane;
                bool output = j < flat && j % rowLength < q;
                lanes[lane] = output ? -1 : 0;
                kept += output ? 1 : 0;
            }
            keep[v] = Vector512.Create(lanes).AsSingle();
            count[v] = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(kept)).AsSingle();
            int first = v * 16;
            destination[v] = first / rowLength * q + Math.Min(first % rowLength, q);
        }
        long planeIn = (long)s.H * s.W, planeOut = (long)p * q;
        nint xs = (nint)x, ws = (nint)w, bs = (nint)bias, ys = (nint)y;
        long minChunk = Math.Max(8, 4096 / Math.Max(1, planeOut));
        CpuParallel.ForRange((long)s.N * s.C, threads, minChunk, (start, end) =>
        {
            float* phases = ThreadScratch.Get(0, 4L * phaseLength);
            fixed (Vector512<float>* masks = loadMasks)
            fixed (Vector512<float>* keepMasks = keep)
            fixed (Vector512<float>* countMasks = count)
            fixed (int* offsets = destination)
                for (long plane = start; plane < end; plane++)
                {
                    Split(s, (float*)xs + plane * planeIn, phases, phaseLength, rowLength, chunks, masks);
                    int c = (int)(plane % s.C);
                    Plane(phases, phaseLength, rowLength, vectors, (float*)ws + (long)c * 9, bs != 0 ? ((float*)bs)[c] : 0f,
                        (float*)ys + plane * planeOut, keepMasks, countMasks, offsets, store);
                }
        }, chunksPerThread: 16);
    }

    private static int RoundUp(int n) => (n + 15) / 16 * 16;

    /// <summary>Phase (a, b) at (u, v) = input(2u + a − 1, 2v + b − 1), zero outside the image; phase index 2a + b.</summary>
    private static void Split(in Conv2dShape s, float* input, float* phases, int phaseLength, int rowLength, int chunks, Vector512<float>* masks)
    {
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        int rows = s.P + 1, h = s.H, w = s.W;
        for (int a = 0; a < 2; a++)
        {
            float* phase0 = phases + 2 * a * phaseLength, phase1 = phase0 + phaseLength;
            for (int u = 0; u < rows; u++)
            {
                int ih = 2 * u + a - 1;
                float* row0 = phase0 + u * rowLength, row1 = phase1 + u * rowLength;
                if ((uint)ih >= (uint)h)
                {
                    for (int k = 0; k < chunks; k++)
                    {
                        Avx512F.Store(row0 + 16 * k, Vector512<float>.Zero);
                        Avx512F.Store(row1 + 16 * k, Vector512<float>.Zero);
                    }
                    continue;
                }
                float* source = input + (long)ih * w;
                for (int k = 0; k < chunks; k++)
                {
                    Vector512<float>* m = masks + 4 * k;
                    float* first = source + 32 * k - 1;
                    var low = Avx512F.MaskLoad(first, m[0], Vector512<float>.Zero);
                    var high = Avx512F.MaskLoad(first + 16, m[1], Vector512<float>.Zero);
                    Avx512F.Store(row0 + 16 * k, Avx512F.PermuteVar16x32x2(low, even, high));
                    low = Avx512F.MaskLoad(first + 1, m[2], Vector512<float>.Zero);
                    high = Avx512F.MaskLoad(first + 17, m[3], Vector512<float>.Zero);
                    Avx512F.Store(row1 + 16 * k, Avx512F.PermuteVar16x32x2(low, even, high));
                }
            }
        }
    }

    /// <summary>One plane from its phases; a plain static method so the JIT keeps the nine taps in registers.</summary>
    private static void Plane(float* phases, int phaseLength, int rowLength, int vectors, float* k, float bias, float* output,
        Vector512<float>* keep, Vector512<float>* count, int* destination, in VectorEpilogue512 store)
    {
        var k0 = Vector512.Create(k[0]); var k1 = Vector512.Create(k[1]); var k2 = Vector512.Create(k[2]);
        var k3 = Vector512.Create(k[3]); var k4 = Vector512.Create(k[4]); var k5 = Vector512.Create(k[5]);
        var k6 = Vector512.Create(k[6]); var k7 = Vector512.Create(k[7]); var k8 = Vector512.Create(k[8]);
        var initial = Vector512.Create(bias);
        // Rows 0 and 2 of the window read the even-row phases (row 2 one phase row down), row 1 the odd-row ones.
        float* evenEven = phases, evenOdd = phases + phaseLength, oddEven = evenOdd + phaseLength, oddOdd = oddEven + phaseLength;
        float* belowEven = evenEven + rowLength, belowOdd = evenOdd + rowLength;
        for (int v = 0; v < vectors; v++)
        {
            int j = v * 16;
            var first = Avx512F.FusedMultiplyAdd(k0, Avx512F.LoadVector512(evenEven + j), initial);
            var second = Avx512F.Multiply(k1, Avx512F.LoadVector512(evenOdd + j));
            var third = Avx512F.Multiply(k2, Avx512F.LoadVector512(evenEven + j + 1));
            first = Avx512F.FusedMultiplyAdd(k3, Avx512F.LoadVector512(oddEven + j), first);
            second = Avx512F.FusedMultiplyAdd(k4, Avx512F.LoadVector512(oddOdd + j), second);
            third = Avx512F.FusedMultiplyAdd(k5, Avx512F.LoadVector512(oddEven + j + 1), third);
            first = Avx512F.FusedMultiplyAdd(k6, Avx512F.LoadVector512(belowEven + j), first);
            second = Avx512F.FusedMultiplyAdd(k7, Avx512F.LoadVector512(belowOdd + j), second);
            third = Avx512F.FusedMultiplyAdd(k8, Avx512F.LoadVector512(belowEven + j + 1), third);
            var total = store.Apply(first + (second + third));
            Avx512F.MaskStore(output + destination[v], count[v], Avx512F.Compress(Vector512<float>.Zero, keep[v], total));
        }
    }
}
