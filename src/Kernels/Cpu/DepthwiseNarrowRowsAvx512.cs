using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Depthwise 3×3 stride 1 "same" (padding 1) on planes whose rows fit one 16-lane vector (<see cref="MinWidth"/> to
/// 16 wide: MobileNet's 14×14; 7×7 goes to <see cref="DepthwiseSevenBySevenAvx512"/> first), read in place. Each input row is loaded once, as its left-, centre- and right-shifted
/// copies (three masked loads: the lanes left of column 0 and right of the last column read as zeros, so no tap needs
/// a mask afterwards, and nothing outside the row is touched), and feeds the three output rows it is a tap row of:
/// three loads and nine FMAs per output row, against nine loads and the column-mask arithmetic of a flat layout. The
/// output row finished by each input row gets the epilogue and one masked store.
/// </summary>
internal static unsafe class DepthwiseNarrowRowsAvx512
{
    /// <summary>
    /// Narrowest row taken. At 7 (MobileNet's 7×7) this kernel, at over half its lanes idle, still ran 1.4× faster than
    /// the flat layout of <see cref="DepthwiseStrideOneAvx512"/> (one thread, planes in L2); narrower rows stay flat.
    /// </summary>
    public const int MinWidth = 7;

    /// <summary>
    /// How far ahead, in floats (4 KiB), each input row and output row prefetches its stream. With the hardware
    /// prefetchers alone the kernel ran ~10% behind a plain vectorized copy of the same bytes on one thread (14×14
    /// planes, tensors past L2); prefetching both streams brought it level with the copy (2 and 8 KiB ahead did
    /// about as well, input alone less).
    /// </summary>
    private const int PrefetchDistance = 1024;

    public static bool Applies(in Conv2dShape s) =>
        s.R == 3 && s.S == 3 && s.StrideH == 1 && s.StrideW == 1 && s.DilationH == 1 && s.DilationW == 1
        && s.PadH == 1 && s.PadW == 1 && s.W >= MinWidth && s.W <= 16;

    public static void Forward(Conv2dShape s, float* x, float* w, float* bias, float* y, Epilogue epilogue, int threads)
    {
        var store = new VectorEpilogue512(epilogue);
        var job = new Job(s, x, w, bias, y);
        long minChunk = Math.Max(8, 4096 / ((long)s.H * s.W));
        CpuParallel.ForRange((long)s.N * s.C, threads, minChunk, (start, end) => PlaneEpilogue512.Run(job, epilogue, store, start, end), chunksPerThread: 16);
    }

    /// <summary>What every chunk of planes needs.</summary>
    private readonly struct Job(Conv2dShape shape, float* x, float* w, float* bias, float* y) : IPlaneRange512
    {
        public void Run<TStore>(long start, long end, TStore store) where TStore : struct, IVectorEpilogue512 => Planes(this, start, end, store);

        public readonly Conv2dShape Shape = shape;
        public readonly float* X = x, W = w, Bias = bias, Y = y;
    }

    /// <summary>
    /// Planes [start, end) in one loop with the masks set up once and the channel stepped, not divided: a plane is only
    /// a few dozen instructions per row, and per-plane setup on the taps' dependency path would show.
    /// </summary>
    private static void Planes<TStore>(in Job job, long start, long end, TStore store) where TStore : struct, IVectorEpilogue512
    {
        int height = job.Shape.H, width = job.Shape.W, channels = job.Shape.C, plane = height * width;
        float* x = job.X, y = job.Y, weights = job.W, biases = job.Bias;
        // Lane j of the left copy is column j − 1 (none for lane 0), of the centre copy column j, of the right copy j + 1.
        var lane = Vector512<int>.Indices;
        var leftLanes = (Vector512.GreaterThan(lane, Vector512<int>.Zero) & Vector512.LessThan(lane, Vector512.Create(width))).AsSingle();
        var centreLanes = Vector512.LessThan(lane, Vector512.Create(width)).AsSingle();
        var rightLanes = Vector512.LessThan(lane, Vector512.Create(width - 1)).AsSingle();
        var zero = Vector512<float>.Zero;
        int c = (int)(start % channels);
        for (long p = start; p < end; p++)
        {
            float* input = x + p * plane, output = y + p * plane, k = weights + (long)c * 9;
            var k0 = Vector512.Create(k[0]); var k1 = Vector512.Create(k[1]); var k2 = Vector512.Create(k[2]);
            var k3 = Vector512.Create(k[3]); var k4 = Vector512.Create(k[4]); var k5 = Vector512.Create(k[5]);
            var k6 = Vector512.Create(k[6]); var k7 = Vector512.Create(k[7]); var k8 = Vector512.Create(k[8]);
            var initial = Vector512.Create(biases != null ? biases[c] : 0f);
            if (++c == channels) c = 0;

            // Input row 0 is the centre tap row of output row 0 and the top tap row of output row 1.
            var left = Avx512F.MaskLoad(input - 1, leftLanes, zero);
            var centre = Avx512F.MaskLoad(input, centreLanes, zero);
            var right = Avx512F.MaskLoad(input + 1, rightLanes, zero);
            var current = Taps(k3, k4, k5, left, centre, right, initial);
            var next = Taps(k0, k1, k2, left, centre, right, initial);
            for (int r = 1; r < height; r++)
            {
                float* row = input + r * width;
                Sse.Prefetch0(row + PrefetchDistance);
                Sse.Prefetch0(output + r * width + PrefetchDistance);
                left = Avx512F.MaskLoad(row - 1, leftLanes, zero);
                centre = Avx512F.MaskLoad(row, centreLanes, zero);
                right = Avx512F.MaskLoad(row + 1, rightLanes, zero);
                // Row r is the bottom tap row of output row r − 1 (now complete), the centre of r and the top of r + 1.
                current = Taps(k6, k7, k8, left, centre, right, current);
                Avx512F.MaskStore(output + (r - 1) * width, centreLanes, store.Apply(current));
                current = Taps(k3, k4, k5, left, centre, right, next);
                next = Taps(k0, k1, k2, left, centre, right, initial);
            }
            Avx512F.MaskStore(output + (height - 1) * width, centreLanes, store.Apply(current));
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
