using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Depthwise 3×3 stride 2 with padding 1 on planes whose output rows fit one 16-lane vector with room for their taps
/// (<see cref="MinQ"/> to 15 outputs, up to 30 input columns: MobileNet's 28×28 → 14×14), read in place. Each input row is
/// loaded once (two masked loads: input columns −1 .. 30, the padding and anything past the row reading as zeros,
/// nothing outside the row touched) and split by three two-source permutes into the left, centre and right taps of
/// every output column. The odd input rows are the bottom tap row of one output row and the top of the next, so an
/// output row costs two input rows: four loads, six permutes and nine FMAs, against the twelve loads (each with its
/// own mask) and nine permutes of the general row kernel in <see cref="DepthwiseStrideTwoAvx512"/>.
/// </summary>
internal static unsafe class DepthwiseStrideTwoNarrowAvx512
{
    /// <summary>Narrowest output row taken; up to 7 the paired-row path of <see cref="DepthwiseStrideTwoAvx512"/> fills the lanes better.</summary>
    public const int MinQ = 8;

    /// <summary>
    /// How far ahead, in floats (4 KiB), the two input rows and the output row of each step prefetch their streams:
    /// ~10% faster on one thread with tensors past L2 than with the hardware prefetchers alone (28² → 14²).
    /// </summary>
    private const int PrefetchDistance = 1024;

    public static bool Applies(in Conv2dShape s) =>
        s.R == 3 && s.S == 3 && s.StrideH == 2 && s.StrideW == 2 && s.DilationH == 1 && s.DilationW == 1
        && s.PadH == 1 && s.PadW == 1 && s.Q >= MinQ && s.Q <= 15;

    public static void Forward(Conv2dShape s, float* x, float* w, float* bias, float* y, Epilogue epilogue, int threads)
    {
        var store = new VectorEpilogue512(epilogue);
        var job = new Job(s.N, s.C, s.H, s.W, s.P, s.Q, x, w, bias, y);
        long minChunk = Math.Max(8, 4096 / ((long)s.P * s.Q));
        CpuParallel.ForRange((long)s.N * s.C, threads, minChunk, (start, end) => PlaneEpilogue512.Run(job, epilogue, store, start, end), chunksPerThread: 16);
    }

    /// <summary>What every chunk of planes needs, the sizes as plain fields (the shape's P and Q are computed properties).</summary>
    private readonly struct Job(int n, int c, int h, int w, int p, int q, float* x, float* weights, float* bias, float* y) : IPlaneRange512
    {
        public void Run<TStore>(long start, long end, TStore store) where TStore : struct, IVectorEpilogue512 => Planes(this, start, end, store);

        public readonly int N = n, C = c, H = h, W = w, P = p, Q = q;
        public readonly float* X = x, Weights = weights, Bias = bias, Y = y;
    }

    /// <summary>Planes [start, end) in one loop: masks and permute indices set up once, the channel stepped, not divided.</summary>
    private static void Planes<TStore>(in Job job, long start, long end, TStore store) where TStore : struct, IVectorEpilogue512
    {
        int h = job.H, w = job.W, p = job.P, q = job.Q, channels = job.C;
        long planeIn = (long)h * w, planeOut = (long)p * q;
        float* x = job.X, y = job.Y, weights = job.Weights, biases = job.Bias;
        var lane = Vector512<int>.Indices;
        // The first load holds input columns −1 .. 14 (lane l is column l − 1), the second 15 .. 30.
        var firstLanes = (Vector512.GreaterThan(lane, Vector512<int>.Zero) & Vector512.LessThanOrEqual(lane, Vector512.Create(w))).AsSingle();
        var secondLanes = Vector512.LessThan(lane + Vector512.Create(15), Vector512.Create(w)).AsSingle();
        var outputLanes = Vector512.LessThan(lane, Vector512.Create(q)).AsSingle();
        // Output column j's taps are input columns 2j − 1, 2j, 2j + 1: positions 2j, 2j + 1, 2j + 2 of the two loads
        // (lane 15 of the right taps, past any output, reads position 0).
        var leftIndex = lane + lane;
        var centreIndex = leftIndex + Vector512<int>.One;
        var rightIndex = (leftIndex + Vector512.Create(2)) & Vector512.Create(31);
        var zero = Vector512<float>.Zero;
        int c = (int)(start % channels);
        for (long plane = start; plane < end; plane++)
        {
            float* input = x + plane * planeIn, output = y + plane * planeOut, k = weights + (long)c * 9;
            var k0 = Vector512.Create(k[0]); var k1 = Vector512.Create(k[1]); var k2 = Vector512.Create(k[2]);
            var k3 = Vector512.Create(k[3]); var k4 = Vector512.Create(k[4]); var k5 = Vector512.Create(k[5]);
            var k6 = Vector512.Create(k[6]); var k7 = Vector512.Create(k[7]); var k8 = Vector512.Create(k[8]);
            var initial = Vector512.Create(biases != null ? biases[c] : 0f);
            if (++c == channels) c = 0;
            // Output row 0's top tap row is the padding: its taps are zeros.
            Vector512<float> topLeft = zero, topCentre = zero, topRight = zero;
            for (int oh = 0; oh < p; oh++)
            {
                var sum = Taps(k0, k1, k2, topLeft, topCentre, topRight, initial);
                float* row = input + (long)(2 * oh) * w;
                Sse.Prefetch0(row + PrefetchDistance);
                Sse.Prefetch0(row + w + PrefetchDistance);
                Sse.Prefetch0(output + oh * q + PrefetchDistance);
                var a = Avx512F.MaskLoad(row - 1, firstLanes, zero);
                var b = Avx512F.MaskLoad(row + 15, secondLanes, zero);
                sum = Taps(k3, k4, k5, Avx512F.PermuteVar16x32x2(a, leftIndex, b), Avx512F.PermuteVar16x32x2(a, centreIndex, b),
                    Avx512F.PermuteVar16x32x2(a, rightIndex, b), sum);
                if (2 * oh + 1 < h)
                {
                    // The bottom tap row of this output row is the top tap row of the next.
                    row += w;
                    a = Avx512F.MaskLoad(row - 1, firstLanes, zero);
                    b = Avx512F.MaskLoad(row + 15, secondLanes, zero);
                    topLeft = Avx512F.PermuteVar16x32x2(a, leftIndex, b);
                    topCentre = Avx512F.PermuteVar16x32x2(a, centreIndex, b);
                    topRight = Avx512F.PermuteVar16x32x2(a, rightIndex, b);
                    sum = Taps(k6, k7, k8, topLeft, topCentre, topRight, sum);
                }
                Avx512F.MaskStore(output + oh * q, outputLanes, store.Apply(sum));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Taps(Vector512<float> kLeft, Vector512<float> kCentre, Vector512<float> kRight,
        Vector512<float> left, Vector512<float> centre, Vector512<float> right, Vector512<float> sum)
    {
        sum = Avx512F.FusedMultiplyAdd(kLeft, left, sum);
        sum = Avx512F.FusedMultiplyAdd(kCentre, centre, sum);
        return Avx512F.FusedMultiplyAdd(kRight, right, sum);
    }
}
