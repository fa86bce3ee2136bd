using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Depthwise 3×3 stride 2 with padding 1 from 14×14 planes to 7×7 (MobileNetV2's 576-channel downsampling layer), read
/// in place. The general paired-row kernel of <see cref="DepthwiseStrideTwoAvx512"/> written out for this one size: two
/// output rows per vector (lanes 0–6 and 8–14), each tap operand one two-source permute of two input rows, but every
/// input row loaded once per plane (14 masked loads instead of 20, no branch choosing between a row and the zero row),
/// the right tap column's products summed on the left-column operands and moved by one lane (seven shuffles per two
/// output rows instead of nine), and each output row stored by its own masked store instead of a compress and one
/// store. With the planes in L2, half the CPU time of the paired-row kernel; no software prefetch (it gained nothing
/// from L3 and cost ~10% from L2).
/// </summary>
internal static unsafe class DepthwiseStrideTwoSevenBySevenAvx512
{
    private const int InputSide = 14, InputPlane = InputSide * InputSide, Side = 7, Plane = Side * Side;

    public static bool Applies(in Conv2dShape s) =>
        s.R == 3 && s.S == 3 && s.StrideH == 2 && s.StrideW == 2 && s.DilationH == 1 && s.DilationW == 1
        && s.PadH == 1 && s.PadW == 1 && s.H == InputSide && s.W == InputSide;

    public static void Forward(Conv2dShape s, float* x, float* w, float* bias, float* y, Epilogue epilogue, int threads)
    {
        var store = new VectorEpilogue512(epilogue);
        var job = new Job(s.C, x, w, bias, y);
        long minChunk = Math.Max(8, 4096 / Plane);
        CpuParallel.ForRange((long)s.N * s.C, threads, minChunk, (start, end) => PlaneEpilogue512.Run(job, epilogue, store, start, end), chunksPerThread: 16);
    }

    /// <summary>What every chunk of planes needs.</summary>
    private readonly struct Job(int channels, float* x, float* w, float* bias, float* y) : IPlaneRange512
    {
        public void Run<TStore>(long start, long end, TStore store) where TStore : struct, IVectorEpilogue512 => Planes(this, start, end, store);

        public readonly int Channels = channels;
        public readonly float* X = x, W = w, Bias = bias, Y = y;
    }

    /// <summary>
    /// Planes [start, end) in one loop, masks and permute indices set up once, the channel stepped. Compiled optimized on
    /// first call: a chunk's loop is too short for on-stack replacement to leave the unoptimized code. Never inlined, so
    /// its helpers are always inlined into it (a caller recompiled with profile data could run out of inlining budget).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void Planes<TStore>(in Job job, long start, long end, TStore store) where TStore : struct, IVectorEpilogue512
    {
        float* x = job.X, y = job.Y, weights = job.W, biases = job.Bias;
        int channels = job.Channels;
        var lane = Vector512<int>.Indices;
        // A row is loaded from one float before it: lane l is column l − 1, lanes 0 and 15 (columns −1 and 14) zeros.
        var rowLanes = (Vector512.GreaterThan(lane, Vector512<int>.Zero) & Vector512.LessThan(lane, Vector512.Create(InputSide + 1))).AsSingle();
        // Output column j's taps are columns 2j − 1 + t: lane 2j + t of the upper output row's input row, 16 + 2j + t of the lower's.
        var left = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var centre = left + Vector512<int>.One;
        var right = left + Vector512.Create(2);
        var upperRow = Vector512.LessThan(lane, Vector512.Create(Side)).AsSingle();
        var lowerRow = (Vector512.GreaterThanOrEqual(lane, Vector512.Create(8)) & Vector512.LessThan(lane, Vector512.Create(8 + Side))).AsSingle();
        var taps = new Taps(left, centre, right);
        int c = (int)(start % channels);
        for (long p = start; p < end; p++)
        {
            float* input = x + p * InputPlane - 1, output = y + p * Plane, k = weights + (long)c * 9;
            var weightsOf = new Weights(k, biases != null ? biases[c] : 0f);
            if (++c == channels) c = 0;
            var zero = Vector512<float>.Zero;
            // Output rows 0 and 1 read input rows −1 .. 1 and 1 .. 3; rows 2r and 2r + 1 read 4r − 1 .. 4r + 3.
            var row0 = Avx512F.MaskLoad(input, rowLanes, zero);
            var row1 = Avx512F.MaskLoad(input + InputSide, rowLanes, zero);
            var row2 = Avx512F.MaskLoad(input + 2 * InputSide, rowLanes, zero);
            var row3 = Avx512F.MaskLoad(input + 3 * InputSide, rowLanes, zero);
            StorePair(output, taps.Apply(weightsOf, zero, row0, row1, row1, row2, row3, store), upperRow, lowerRow);
            var row4 = Avx512F.MaskLoad(input + 4 * InputSide, rowLanes, zero);
            var row5 = Avx512F.MaskLoad(input + 5 * InputSide, rowLanes, zero);
            var row6 = Avx512F.MaskLoad(input + 6 * InputSide, rowLanes, zero);
            var row7 = Avx512F.MaskLoad(input + 7 * InputSide, rowLanes, zero);
            StorePair(output + 2 * Side, taps.Apply(weightsOf, row3, row4, row5, row5, row6, row7, store), upperRow, lowerRow);
            var row8 = Avx512F.MaskLoad(input + 8 * InputSide, rowLanes, zero);
            var row9 = Avx512F.MaskLoad(input + 9 * InputSide, rowLanes, zero);
            var row10 = Avx512F.MaskLoad(input + 10 * InputSide, rowLanes, zero);
            var row11 = Avx512F.MaskLoad(input + 11 * InputSide, rowLanes, zero);
            StorePair(output + 4 * Side, taps.Apply(weightsOf, row7, row8, row9, row9, row10, row11, store), upperRow, lowerRow);
            var row12 = Avx512F.MaskLoad(input + 12 * InputSide, rowLanes, zero);
            var row13 = Avx512F.MaskLoad(input + 13 * InputSide, rowLanes, zero);
            // Output row 6 alone (rows 11 .. 13); the lower lanes compute from zeros and are not stored.
            Avx512F.MaskStore(output + 6 * Side, upperRow, taps.Apply(weightsOf, row11, row12, row13, zero, zero, zero, store));
        }
    }

    /// <summary>Output rows 2r and 2r + 1 from lanes 0–6 and 8–14, each with its own masked store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePair(float* output, Vector512<float> rows, Vector512<float> upperRow, Vector512<float> lowerRow)
    {
        Avx512F.MaskStore(output, upperRow, rows);
        Avx512F.MaskStore(output + Side - 8, lowerRow, rows);
    }

    /// <summary>A plane's nine taps and bias, broadcast.</summary>
    private readonly struct Weights
    {
        public readonly Vector512<float> K0, K1, K2, K3, K4, K5, K6, K7, K8, Bias;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Weights(float* k, float bias)
        {
            K0 = Vector512.Create(k[0]); K1 = Vector512.Create(k[1]); K2 = Vector512.Create(k[2]);
            K3 = Vector512.Create(k[3]); K4 = Vector512.Create(k[4]); K5 = Vector512.Create(k[5]);
            K6 = Vector512.Create(k[6]); K7 = Vector512.Create(k[7]); K8 = Vector512.Create(k[8]);
            Bias = Vector512.Create(bias);
        }
    }

    /// <summary>The permute indices of the left, centre and right tap columns.</summary>
    private readonly struct Taps(Vector512<int> left, Vector512<int> centre, Vector512<int> right)
    {
        private readonly Vector512<int> left = left, centre = centre, right = right;

        /// <summary>
        /// Two output rows: the upper one's input rows <paramref name="upper0"/> .. <paramref name="upper2"/> and the
        /// lower one's <paramref name="lower0"/> .. <paramref name="lower2"/>, nine FMAs into one sum, then the epilogue.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Apply<TStore>(in Weights k, Vector512<float> upper0, Vector512<float> upper1, Vector512<float> upper2,
            Vector512<float> lower0, Vector512<float> lower1, Vector512<float> lower2, TStore store) where TStore : struct, IVectorEpilogue512
        {
            // Output column j's right tap (column 2j + 1) is column j + 1's left tap: the right column's products are
            // summed on the left-tap operands and moved down one lane, one shift instead of three permutes.
            var left0 = Avx512F.PermuteVar16x32x2(upper0, left, lower0);
            var left1 = Avx512F.PermuteVar16x32x2(upper1, left, lower1);
            var left2 = Avx512F.PermuteVar16x32x2(upper2, left, lower2);
            var sum = Avx512F.FusedMultiplyAdd(k.K0, left0, k.Bias);
            sum = Avx512F.FusedMultiplyAdd(k.K1, Avx512F.PermuteVar16x32x2(upper0, centre, lower0), sum);
            sum = Avx512F.FusedMultiplyAdd(k.K3, left1, sum);
            sum = Avx512F.FusedMultiplyAdd(k.K4, Avx512F.PermuteVar16x32x2(upper1, centre, lower1), sum);
            sum = Avx512F.FusedMultiplyAdd(k.K6, left2, sum);
            sum = Avx512F.FusedMultiplyAdd(k.K7, Avx512F.PermuteVar16x32x2(upper2, centre, lower2), sum);
            var rightColumn = Avx512F.FusedMultiplyAdd(k.K8, left2, Avx512F.FusedMultiplyAdd(k.K5, left1, Avx512F.Multiply(k.K2, left0)));
            sum += Avx512F.AlignRight32(Vector512<int>.Zero, rightColumn.AsInt32(), 1).AsSingle();
            return store.Apply(sum);
        }
    }
}
