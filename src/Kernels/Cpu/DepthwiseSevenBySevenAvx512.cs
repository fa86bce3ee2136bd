using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Depthwise 3×3 stride 1 "same" (padding 1) on 7×7 planes (MobileNetV2's last stage), read in place as one flat
/// array of 49 floats: outputs 0–15, 16–31 and 32–47 are one vector each and output 48 a fourth, where one vector per row
/// (<see cref="DepthwiseNarrowRowsAvx512"/>) filled 7 of 16 lanes. Per vector, three loads (the rows above, at and below
/// each output, flat offsets −7, 0, +7) give three sums, one per tap column: the centre column's is the output's own, the
/// left column's belongs to the output one lane to the right and the right column's to the one lane to the left, so
/// each is moved by one lane across vector boundaries (valignd) and masked where that move wraps to another row. Row −1
/// and row 7 are lane shifts of loaded vectors with zeros shifted in, and output 48 takes its two inputs by scalar loads,
/// so nothing outside the plane is read and no plane needs a padded copy. Per plane: 9 loads, 31 FMAs, 9 lane shifts.
/// </summary>
internal static unsafe class DepthwiseSevenBySevenAvx512
{
    private const int Side = 7, Plane = Side * Side;

    /// <summary>
    /// How far ahead, in floats (4 KiB, about 21 planes), each plane prefetches its input and output: the planes are
    /// short enough that the hardware prefetchers alone left the loop waiting on L3 (13% slower on one thread, 20% on two,
    /// 32×960 planes).
    /// </summary>
    private const int PrefetchDistance = 1024;

    public static bool Applies(in Conv2dShape s) =>
        s.R == 3 && s.S == 3 && s.StrideH == 1 && s.StrideW == 1 && s.DilationH == 1 && s.DilationW == 1
        && s.PadH == 1 && s.PadW == 1 && s.H == Side && s.W == Side;

    public static void Forward(Conv2dShape s, float* x, float* w, float* bias, float* y, Epilogue epilogue, int threads)
    {
        var store = new VectorEpilogue512(epilogue);
        var job = new Job(s.C, x, w, bias, y);
        long minChunk = Math.Max(8, 4096 / Plane);
        CpuParallel.ForRange((long)s.N * s.C, threads, minChunk, (start, end) => PlaneEpilogue512.Run(job, epilogue, store, start, end), chunksPerThread: 16);
    }

    /// <summary>
    /// Per output vector 0–2: the lanes whose left neighbour is in the same row (column ≠ 0), then those whose right
    /// neighbour is (column ≠ 6); a moved tap-column sum is kept only there.
    /// </summary>
    private static readonly Vector512<float>[] ColumnMaskTable = ColumnMasks();

    private static Vector512<float>[] ColumnMasks()
    {
        var masks = new Vector512<float>[6];
        var left = new int[16];
        var right = new int[16];
        for (int v = 0; v < 3; v++)
        {
            for (int lane = 0; lane < 16; lane++)
            {
                int column = (16 * v + lane) % Side;
                left[lane] = column != 0 ? -1 : 0;
                right[lane] = column != Side - 1 ? -1 : 0;
            }
            masks[2 * v] = Vector512.Create(left).AsSingle();
            masks[2 * v + 1] = Vector512.Create(right).AsSingle();
        }
        return masks;
    }

    /// <summary>What every chunk of planes needs.</summary>
    private readonly struct Job(int channels, float* x, float* w, float* bias, float* y) : IPlaneRange512
    {
        public void Run<TStore>(long start, long end, TStore store) where TStore : struct, IVectorEpilogue512 => Planes(this, start, end, store);

        public readonly int Channels = channels;
        public readonly float* X = x, W = w, Bias = bias, Y = y;
    }

    /// <summary>
    /// Planes [start, end) in one loop, the masks loaded once and the channel stepped, not divided. Compiled optimized
    /// on first call: a chunk is a few hundred iterations of one loop, too few for on-stack replacement to leave the
    /// unoptimized code, so until tiering caught up (a fraction of a second) the first calls ran ~10× slower. Never
    /// inlined: a caller recompiled with profile data inlined it but ran out of inlining budget for its helpers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void Planes<TStore>(in Job job, long start, long end, TStore store) where TStore : struct, IVectorEpilogue512
    {
        float* x = job.X, y = job.Y, weights = job.W, biases = job.Bias;
        int channels = job.Channels;
        var masks = ColumnMaskTable;
        var left0 = masks[0]; var right0 = masks[1];
        var left1 = masks[2]; var right1 = masks[3];
        var left2 = masks[4]; var right2 = masks[5];
        int c = (int)(start % channels);
        for (long p = start; p < end; p++)
        {
            float* input = x + p * Plane, output = y + p * Plane;
            Sse.Prefetch0(input + PrefetchDistance);
            Sse.Prefetch0(input + PrefetchDistance + 16);
            Sse.Prefetch0(input + PrefetchDistance + 32);
            Sse.Prefetch0(output + PrefetchDistance);
            Sse.Prefetch0(output + PrefetchDistance + 16);
            Sse.Prefetch0(output + PrefetchDistance + 32);
            PlaneOf(input, output, weights + (long)c * 9, biases != null ? biases[c] : 0f, left0, right0, left1, right1, left2, right2, store);
            if (++c == channels) c = 0;
        }
    }

    /// <summary>
    /// One plane. Sums per tap column j (0 left, 1 centre, 2 right) at flat index i: k[j]·x[i − 7] + k[3 + j]·x[i] +
    /// k[6 + j]·x[i + 7]; output i is centre(i) + left(i − 1) + right(i + 1), the moved sums masked at row ends.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PlaneOf<TStore>(float* input, float* output, float* k, float bias,
        Vector512<float> left0, Vector512<float> right0, Vector512<float> left1, Vector512<float> right1,
        Vector512<float> left2, Vector512<float> right2, TStore store) where TStore : struct, IVectorEpilogue512
    {
        var k0 = Vector512.Create(k[0]); var k1 = Vector512.Create(k[1]); var k2 = Vector512.Create(k[2]);
        var k3 = Vector512.Create(k[3]); var k4 = Vector512.Create(k[4]); var k5 = Vector512.Create(k[5]);
        var k6 = Vector512.Create(k[6]); var k7 = Vector512.Create(k[7]); var k8 = Vector512.Create(k[8]);
        var initial = Vector512.Create(bias);
        var zero = Vector512<float>.Zero;

        // Outputs 0–15: the row above starts as 7 zeros (row −1) followed by inputs 0–8.
        var at = Avx512F.LoadVector512(input);
        var below = Avx512F.LoadVector512(input + Side);
        var above = RowAboveFirst(at);
        var left0Sum = Column(k0, k3, k6, above, at, below, zero, false);
        var centre0 = Column(k1, k4, k7, above, at, below, initial, true);
        var right0Sum = Column(k2, k5, k8, above, at, below, zero, false);

        above = Avx512F.LoadVector512(input + 16 - Side);
        at = Avx512F.LoadVector512(input + 16);
        below = Avx512F.LoadVector512(input + 16 + Side);
        var left1Sum = Column(k0, k3, k6, above, at, below, zero, false);
        var centre1 = Column(k1, k4, k7, above, at, below, initial, true);
        var right1Sum = Column(k2, k5, k8, above, at, below, zero, false);
        Avx512F.Store(output, store.Apply(centre0 + ((FromLeft(left0Sum, zero) & left0) + (FromRight(right1Sum, right0Sum) & right0))));

        // Outputs 32–47: the row below is inputs 39–48 followed by zeros (row 7); input 48 alone, loaded as a scalar.
        var last = Vector512.CreateScalar(input[Plane - 1]);
        above = Avx512F.LoadVector512(input + 32 - Side);
        at = Avx512F.LoadVector512(input + 32);
        below = RowBelowLast(last, at);
        var left2Sum = Column(k0, k3, k6, above, at, below, zero, false);
        var centre2 = Column(k1, k4, k7, above, at, below, initial, true);
        var right2Sum = Column(k2, k5, k8, above, at, below, zero, false);
        Avx512F.Store(output + 16, store.Apply(centre1 + ((FromLeft(left1Sum, left0Sum) & left1) + (FromRight(right2Sum, right1Sum) & right1))));

        // Output 48 (row 6, column 6): rows 5 and 6 of columns 5 and 6, in lane 0.
        var lastAbove = Vector512.CreateScalar(input[Plane - 1 - Side]);
        var centre3 = Avx512F.FusedMultiplyAdd(k4, last, Avx512F.FusedMultiplyAdd(k1, lastAbove, initial));
        var right3Sum = Avx512F.FusedMultiplyAdd(k5, last, Avx512F.Multiply(k2, lastAbove));
        Avx512F.Store(output + 32, store.Apply(centre2 + ((FromLeft(left2Sum, left1Sum) & left2) + (FromRight(right3Sum, right2Sum) & right2))));
        output[Plane - 1] = store.Apply(centre3 + FromLeft(left2Sum, left2Sum)).ToScalar();
    }

    /// <summary>One tap column's sum over the rows above, at and below: a multiply first where there is nothing to add to.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Column(Vector512<float> kAbove, Vector512<float> kAt, Vector512<float> kBelow,
        Vector512<float> above, Vector512<float> at, Vector512<float> below, Vector512<float> initial, bool hasInitial)
    {
        var sum = hasInitial ? Avx512F.FusedMultiplyAdd(kAbove, above, initial) : Avx512F.Multiply(kAbove, above);
        sum = Avx512F.FusedMultiplyAdd(kAt, at, sum);
        return Avx512F.FusedMultiplyAdd(kBelow, below, sum);
    }

    // The lane shifts (valignd), each with its count written in: a shift taking its count as an argument compiles, when
    // not inlined, to a jump over all 16 counts, and one caller inlining the plane loop without it ran 3× slower.

    /// <summary>Lane j of <paramref name="sum"/> moved to lane j + 1, lane 0 from lane 15 of <paramref name="before"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> FromLeft(Vector512<float> sum, Vector512<float> before)
        => Avx512F.AlignRight32(sum.AsInt32(), before.AsInt32(), 15).AsSingle();

    /// <summary>Lane j + 1 of <paramref name="sum"/> moved to lane j, lane 15 from lane 0 of <paramref name="after"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> FromRight(Vector512<float> after, Vector512<float> sum)
        => Avx512F.AlignRight32(after.AsInt32(), sum.AsInt32(), 1).AsSingle();

    /// <summary>Inputs 0–15 moved up one row: 7 zeros (row −1), then inputs 0–8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> RowAboveFirst(Vector512<float> at)
        => Avx512F.AlignRight32(at.AsInt32(), Vector512<int>.Zero, 16 - Side).AsSingle();

    /// <summary>Inputs 32–47 moved down one row: inputs 39–47, then lane 0 of <paramref name="last"/> (input 48) and its zeros.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> RowBelowLast(Vector512<float> last, Vector512<float> at)
        => Avx512F.AlignRight32(last.AsInt32(), at.AsInt32(), Side).AsSingle();
}
