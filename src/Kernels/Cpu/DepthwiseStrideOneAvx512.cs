using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Depthwise 3×3 stride 1 "same" (padding 1) on planes up to <see cref="MaxPlane"/> pixels with 16-lane vectors. Each
/// plane is copied into a per-thread buffer with a zero row above and below, and processed as one flat array: every
/// tap is then a constant shift of the flat index, so a 5×5 plane is 2 vectors and a 28×28 plane 49, whatever the row
/// width. The row above and below read the zero margins; the taps of the left and right columns, which wrap to the
/// neighbouring row, are summed apart and masked per vector (two ANDs per 16 outputs). The copy of the next plane
/// is made before the current one is computed, so the computation's unaligned loads never wait on the copy's stores.
/// Rows 7 to 16 wide (MobileNet's 7×7 and 14×14) are dispatched to <see cref="DepthwiseNarrowRowsAvx512"/> first.
/// </summary>
internal static unsafe class DepthwiseStrideOneAvx512
{
    /// <summary>Largest plane handled this way; keeps the column masks (vectors × 2 × 64 bytes) and both buffers in L1.</summary>
    public const int MaxPlane = 1024;

    public static bool Applies(in Conv2dShape s) =>
        s.R == 3 && s.S == 3 && s.StrideH == 1 && s.StrideW == 1 && s.DilationH == 1 && s.DilationW == 1
        && s.PadH == 1 && s.PadW == 1 && (long)s.H * s.W <= MaxPlane;

    public static void Forward(Conv2dShape s, float* x, float* w, float* bias, float* y, Epilogue epilogue, int threads)
    {
        int width = s.W, plane = s.H * s.W, vectors = (plane + 15) / 16;
        // Buffer: zeros up to (and including) the row above the plane, the plane in whole vectors (lanes past it
        // copied as zeros), zeros for the row below the last vector's lanes. The plane starts 64-byte aligned.
        int lead = RoundUp(width + 1), length = lead + vectors * 16 + RoundUp(width + 1);
        var store = new VectorEpilogue512(epilogue);
        // Per vector: lanes not in the first column (left taps valid), lanes not in the last column (right taps valid).
        var masks = new Vector512<float>[vectors * 2];
        var notFirst = new int[16];
        var notLast = new int[16];
        for (int v = 0; v < vectors; v++)
        {
            for (int lane = 0; lane < 16; lane++)
            {
                int column = (v * 16 + lane) % width;
                notFirst[lane] = column != 0 ? -1 : 0;
                notLast[lane] = column != width - 1 ? -1 : 0;
            }
            masks[2 * v] = Vector512.Create(notFirst).AsSingle();
            masks[2 * v + 1] = Vector512.Create(notLast).AsSingle();
        }
        var job = new Job(s, x, w, bias, y, vectors, lead, length, masks);
        long minChunk = Math.Max(8, 4096 / plane);
        CpuParallel.ForRange((long)s.N * s.C, threads, minChunk, (start, end) => PlaneEpilogue512.Run(job, epilogue, store, start, end), chunksPerThread: 16);
    }

    /// <summary>What every chunk of planes needs.</summary>
    private readonly struct Job(Conv2dShape shape, float* x, float* w, float* bias, float* y, int vectors, int lead, int length,
        Vector512<float>[] masks) : IPlaneRange512
    {
        public void Run<TStore>(long start, long end, TStore store) where TStore : struct, IVectorEpilogue512 => Planes(this, start, end, store);

        public readonly Conv2dShape Shape = shape;
        public readonly float* X = x, W = w, Bias = bias, Y = y;
        public readonly int Vectors = vectors, Lead = lead, Length = length;
        public readonly Vector512<float>[] Masks = masks;
    }

    /// <summary>
    /// Planes [start, end), each copied into one of two buffers while the other is computed. One loop over the planes
    /// with everything but the taps and bias set up once: a small plane is only a few vectors, so per-plane setup and a
    /// call per plane would cost as much as the plane.
    /// </summary>
    private static void Planes<TStore>(in Job job, long start, long end, TStore store) where TStore : struct, IVectorEpilogue512
    {
        int width = job.Shape.W, plane = job.Shape.H * width, vectors = job.Vectors, length = job.Length, lead = job.Lead;
        int channels = job.Shape.C, last = (vectors - 1) * 16;
        float* x = job.X, y = job.Y, weights = job.W, biases = job.Bias;
        var tail = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(plane - last)).AsSingle();
        float* buffers = ThreadScratch.Get(0, 2L * length);
        new Span<float>(buffers, 2 * length).Clear();
        Fill(x + start * plane, buffers + lead, vectors, tail);
        int c = (int)(start % channels);
        fixed (Vector512<float>* columnMasks = job.Masks)
            for (long p = start; p < end; p++)
            {
                float* input = buffers + (p - start) % 2 * length + lead;
                if (p + 1 < end) Fill(x + (p + 1) * plane, buffers + (p + 1 - start) % 2 * length + lead, vectors, tail);
                float* k = weights + (long)c * 9, output = y + p * plane;
                var k0 = Vector512.Create(k[0]); var k1 = Vector512.Create(k[1]); var k2 = Vector512.Create(k[2]);
                var k3 = Vector512.Create(k[3]); var k4 = Vector512.Create(k[4]); var k5 = Vector512.Create(k[5]);
                var k6 = Vector512.Create(k[6]); var k7 = Vector512.Create(k[7]); var k8 = Vector512.Create(k[8]);
                var initial = Vector512.Create(biases != null ? biases[c] : 0f);
                if (++c == channels) c = 0;
                float* above = input - width - 1, middle = input - 1, below = input + width - 1;
                var m = columnMasks;
                for (int i = 0; i <= last; i += 16, m += 2)
                {
                    // Left, centre and right column taps in three sums: only the outer two need the wrap mask.
                    var left = Avx512F.Multiply(k0, Avx512F.LoadVector512(above + i));
                    var centre = Avx512F.FusedMultiplyAdd(k1, Avx512F.LoadVector512(above + i + 1), initial);
                    var right = Avx512F.Multiply(k2, Avx512F.LoadVector512(above + i + 2));
                    left = Avx512F.FusedMultiplyAdd(k3, Avx512F.LoadVector512(middle + i), left);
                    centre = Avx512F.FusedMultiplyAdd(k4, Avx512F.LoadVector512(middle + i + 1), centre);
                    right = Avx512F.FusedMultiplyAdd(k5, Avx512F.LoadVector512(middle + i + 2), right);
                    left = Avx512F.FusedMultiplyAdd(k6, Avx512F.LoadVector512(below + i), left);
                    centre = Avx512F.FusedMultiplyAdd(k7, Avx512F.LoadVector512(below + i + 1), centre);
                    right = Avx512F.FusedMultiplyAdd(k8, Avx512F.LoadVector512(below + i + 2), right);
                    var total = store.Apply(centre + ((left & m[0]) + (right & m[1])));
                    if (i < last) Avx512F.Store(output + i, total);
                    else Avx512F.MaskStore(output + i, tail, total);
                }
            }
    }

    private static int RoundUp(int n) => (n + 15) / 16 * 16;

    private static void Fill(float* source, float* destination, int vectors, Vector512<float> tail)
    {
        int last = (vectors - 1) * 16;
        for (int i = 0; i < last; i += 16) Avx512F.Store(destination + i, Avx512F.LoadVector512(source + i));
        Avx512F.Store(destination + last, Avx512F.MaskLoad(source + last, tail, Vector512<float>.Zero));
    }
}
