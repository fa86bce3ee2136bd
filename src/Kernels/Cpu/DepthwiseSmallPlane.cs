using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Depthwise 3×3 stride 1 for small planes whose output rows are as wide as the input rows (horizontal
/// padding 1). Then every tap is a constant shift of the flattened plane, so the plane is processed as one
/// flat array of 8-lane vectors instead of row by row: no lanes wasted on 7- or 14-wide rows, no partial
/// store per row. A precomputed mask per (vector, tap) zeroes the lanes whose input falls outside the
/// plane or wraps to a neighbouring row; masked-off lanes are never read.
/// </summary>
internal static unsafe class DepthwiseSmallPlane
{
    /// <summary>Largest plane handled this way; keeps the mask table (vectors × 9 × 32 bytes) inside L1.</summary>
    public const int MaxPlane = 256;

    private const byte Masked = 0, Plain = 1, InteriorRows = 2;

    public static bool Applies(in Conv2dShape s) =>
        s.R == 3 && s.S == 3 && s.StrideH == 1 && s.StrideW == 1 && s.DilationH == 1 && s.DilationW == 1
        && s.PadW == 1 && (long)s.P * s.Q <= MaxPlane;

    public static void Forward(Conv2dShape s, float* x, float* w, float* bias, float* y, Epilogue epilogue, int threads)
    {
        int planeIn = s.H * s.W, planeOut = s.P * s.Q, vectors = (planeOut + 7) / 8;
        var store = new VectorEpilogue(epilogue);
        var masks = new Vector256<float>[vectors * 9];
        var offsets = new int[9];
        var safe = new byte[vectors];
        var everywhere = new byte[vectors];
        for (int r = 0; r < 3; r++)
            for (int t = 0; t < 3; t++)
            {
                offsets[r * 3 + t] = (r - s.PadH) * s.W + t - 1;
                for (int v = 0; v < vectors; v++)
                {
                    var lanes = new int[8];
                    for (int lane = 0; lane < 8; lane++)
                    {
                        int i = v * 8 + lane, oh = i / s.Q, ow = i % s.Q, ih = oh - s.PadH + r, iw = ow - 1 + t;
                        lanes[lane] = i < planeOut && (uint)ih < (uint)s.H && (uint)iw < (uint)s.W ? -1 : 0;
                    }
                    masks[v * 9 + r * 3 + t] = Vector256.Create(lanes).AsSingle();
                }
            }
        // Per vector: Masked (masked loads), Plain (its nine loads stay inside the plane: plain loads, AND the
        // mask in) or InteriorRows (plain, and all three input rows exist for every lane, so only the left and
        // right column taps need masks). Loads past the plane but inside the tensor are harmless (masked out),
        // so planes away from the tensor's ends use the second table, where no vector needs masked loads.
        for (int v = 0; v < vectors; v++)
        {
            bool inPlane = true, rowsInside = v * 8 + 8 <= planeOut;
            foreach (int offset in offsets)
                inPlane &= v * 8 + offset >= 0 && v * 8 + offset + 8 <= planeIn;
            for (int lane = 0; lane < 8 && rowsInside; lane++)
            {
                int oh = (v * 8 + lane) / s.Q;
                rowsInside &= oh - s.PadH >= 0 && oh - s.PadH + 2 < s.H;
            }
            byte unmasked = rowsInside ? InteriorRows : Plain;
            safe[v] = inPlane ? unmasked : Masked;
            everywhere[v] = unmasked;
        }
        int below = -offsets.Min(), above = (vectors - 1) * 8 + offsets.Max() + 8 - planeIn;
        long total = (long)s.N * s.C * planeIn;
        nint xs = (nint)x, ws = (nint)w, bs = (nint)bias, ys = (nint)y;
        long minChunk = Math.Max(8, 4096 / planeOut);
        CpuParallel.ForRange((long)s.N * s.C, threads, minChunk, (start, end) =>
        {
            fixed (Vector256<float>* maskTable = masks)
            fixed (int* tapOffsets = offsets)
            fixed (byte* plain = safe)
            fixed (byte* plainEverywhere = everywhere)
                for (long plane = start; plane < end; plane++)
                {
                    int c = (int)(plane % s.C);
                    long first = plane * planeIn;
                    bool roomy = first - below >= 0 && first + planeIn + above <= total;
                    Plane((float*)xs + plane * planeIn, (float*)ws + (long)c * 9, bs != 0 ? ((float*)bs)[c] : 0f,
                        (float*)ys + plane * planeOut, planeOut, maskTable, tapOffsets, roomy ? plainEverywhere : plain, store);
                }
        }, chunksPerThread: 16);
    }

    private static void Plane(float* input, float* k, float bias, float* output, int planeOut,
        Vector256<float>* m, int* o, byte* kinds, in VectorEpilogue store)
    {
        var k0 = Vector256.Create(k[0]); var k1 = Vector256.Create(k[1]); var k2 = Vector256.Create(k[2]);
        var k3 = Vector256.Create(k[3]); var k4 = Vector256.Create(k[4]); var k5 = Vector256.Create(k[5]);
        var k6 = Vector256.Create(k[6]); var k7 = Vector256.Create(k[7]); var k8 = Vector256.Create(k[8]);
        var initial = Vector256.Create(bias);
        float* i0 = input + o[0], i1 = input + o[1], i2 = input + o[2];
        float* i3 = input + o[3], i4 = input + o[4], i5 = input + o[5];
        float* i6 = input + o[6], i7 = input + o[7], i8 = input + o[8];
        for (int i = 0; i < planeOut; i += 8, m += 9)
        {
            byte kind = kinds[i >> 3];
            if (kind == InteriorRows)
            {
                float* a = i0 + i, b = i3 + i, c = i6 + i;
                var left = Avx.Multiply(k0, Avx.LoadVector256(a));
                var middle = Fma.MultiplyAdd(k1, Avx.LoadVector256(a + 1), initial);
                var right = Avx.Multiply(k2, Avx.LoadVector256(a + 2));
                left = Fma.MultiplyAdd(k3, Avx.LoadVector256(b), left);
                middle = Fma.MultiplyAdd(k4, Avx.LoadVector256(b + 1), middle);
                right = Fma.MultiplyAdd(k5, Avx.LoadVector256(b + 2), right);
                left = Fma.MultiplyAdd(k6, Avx.LoadVector256(c), left);
                middle = Fma.MultiplyAdd(k7, Avx.LoadVector256(c + 1), middle);
                right = Fma.MultiplyAdd(k8, Avx.LoadVector256(c + 2), right);
                var total = Avx.Add(middle, Avx.Add(Avx.And(left, m[0]), Avx.And(right, m[2])));
                Avx.Store(output + i, store.Apply(total));
                continue;
            }
            if (kind == Plain)
            {
                // Three row pointers with constant displacements keep the loop within the general registers.
                float* a = i0 + i, b = i3 + i, c = i6 + i;
                // Two partial sums halve the FMA latency chain per vector.
                var sum = Fma.MultiplyAdd(k0, Avx.And(Avx.LoadVector256(a), m[0]), initial);
                var other = Avx.Multiply(k1, Avx.And(Avx.LoadVector256(a + 1), m[1]));
                sum = Fma.MultiplyAdd(k2, Avx.And(Avx.LoadVector256(a + 2), m[2]), sum);
                other = Fma.MultiplyAdd(k3, Avx.And(Avx.LoadVector256(b), m[3]), other);
                sum = Fma.MultiplyAdd(k4, Avx.And(Avx.LoadVector256(b + 1), m[4]), sum);
                other = Fma.MultiplyAdd(k5, Avx.And(Avx.LoadVector256(b + 2), m[5]), other);
                sum = Fma.MultiplyAdd(k6, Avx.And(Avx.LoadVector256(c), m[6]), sum);
                other = Fma.MultiplyAdd(k7, Avx.And(Avx.LoadVector256(c + 1), m[7]), other);
                sum = Fma.MultiplyAdd(k8, Avx.And(Avx.LoadVector256(c + 2), m[8]), sum);
                sum = Avx.Add(sum, other);
                sum = store.Apply(sum);
                if (i + 8 <= planeOut) Avx.Store(output + i, sum);
                else PartialStore.Store(output + i, sum, planeOut - i);
                continue;
            }
            var acc = Fma.MultiplyAdd(k0, Avx.MaskLoad(i0 + i, m[0]), initial);
            acc = Fma.MultiplyAdd(k1, Avx.MaskLoad(i1 + i, m[1]), acc);
            acc = Fma.MultiplyAdd(k2, Avx.MaskLoad(i2 + i, m[2]), acc);
            acc = Fma.MultiplyAdd(k3, Avx.MaskLoad(i3 + i, m[3]), acc);
            acc = Fma.MultiplyAdd(k4, Avx.MaskLoad(i4 + i, m[4]), acc);
            acc = Fma.MultiplyAdd(k5, Avx.MaskLoad(i5 + i, m[5]), acc);
            acc = Fma.MultiplyAdd(k6, Avx.MaskLoad(i6 + i, m[6]), acc);
            acc = Fma.MultiplyAdd(k7, Avx.MaskLoad(i7 + i, m[7]), acc);
            acc = Fma.MultiplyAdd(k8, Avx.MaskLoad(i8 + i, m[8]), acc);
            acc = store.Apply(acc);
            if (i + 8 <= planeOut) Avx.Store(output + i, acc);
            else PartialStore.Store(output + i, acc, planeOut - i);
        }
    }
}
