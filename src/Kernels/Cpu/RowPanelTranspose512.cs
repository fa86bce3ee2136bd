using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Packs a full 14-row panel of A (the AVX-512 micro-kernel's height: panel[p·14 + r] = source[r·ld + p]) sixteen columns
/// at a time in zmm registers: the 14 rows (and two zero rows) go through a 16×16 transpose, and the 16 transposed columns
/// of 14 valid floats are pressed into 14 whole vectors, each a two-source permute, so the panel is written by full
/// contiguous stores. The 8×8 AVX transposes it replaces wrote 8-float rows at a 14-float stride (half of them split over
/// cache lines) and transposed rows 6–7 twice.
/// </summary>
internal static unsafe class RowPanelTranspose512
{
    private const int Rows = 14;

    /// <summary>For output vector q of a 16-column block (224 floats): it starts in transposed column 16q/14, row 16q mod 14.</summary>
    private static readonly Vector512<int>[] Indices = Enumerable.Range(0, Rows).Select(q =>
        Vector512.Create(Enumerable.Range(0, 16).Select(e =>
        {
            int f = 16 * q + e;
            return (f / Rows - 16 * q / Rows) * 16 + f % Rows;
        }).ToArray())).ToArray();

    public static bool Applies(int mr) => mr == Rows && Avx512F.IsSupported;

    /// <summary>Packs columns [0, kc) of 14 full rows; the caller checked <see cref="Applies"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(float* source, int ld, int kc, float* panel)
    {
        int vectorEnd = kc / 16 * 16;
        fixed (Vector512<int>* index = Indices)
        {
            for (int p = 0; p < vectorEnd; p += 16)
            {
                float* s = source + p;
                // Rows 4g..4g+3 interleaved: q[4g + m] holds, in its 128-bit lane l, those rows of column 4l + m.
                Quads(Load(s, 0, ld), Load(s, 1, ld), Load(s, 2, ld), Load(s, 3, ld), out var q0, out var q1, out var q2, out var q3);
                Quads(Load(s, 4, ld), Load(s, 5, ld), Load(s, 6, ld), Load(s, 7, ld), out var q4, out var q5, out var q6, out var q7);
                Quads(Load(s, 8, ld), Load(s, 9, ld), Load(s, 10, ld), Load(s, 11, ld), out var q8, out var q9, out var q10, out var q11);
                var zero = Vector512<float>.Zero;
                Quads(Load(s, 12, ld), Load(s, 13, ld), zero, zero, out var q12, out var q13, out var q14, out var q15);
                // A 4×4 transpose of 128-bit blocks: column 4l + m gathers lane l of q[m], q[4 + m], q[8 + m], q[12 + m].
                Lanes(q0, q4, q8, q12, out var c0, out var c4, out var c8, out var c12);
                Lanes(q1, q5, q9, q13, out var c1, out var c5, out var c9, out var c13);
                Lanes(q2, q6, q10, q14, out var c2, out var c6, out var c10, out var c14);
                Lanes(q3, q7, q11, q15, out var c3, out var c7, out var c11, out var c15);
                float* t = panel + p * Rows;
                Avx512F.Store(t, Avx512F.PermuteVar16x32x2(c0, index[0], c1));
                Avx512F.Store(t + 16, Avx512F.PermuteVar16x32x2(c1, index[1], c2));
                Avx512F.Store(t + 32, Avx512F.PermuteVar16x32x2(c2, index[2], c3));
                Avx512F.Store(t + 48, Avx512F.PermuteVar16x32x2(c3, index[3], c4));
                Avx512F.Store(t + 64, Avx512F.PermuteVar16x32x2(c4, index[4], c5));
                Avx512F.Store(t + 80, Avx512F.PermuteVar16x32x2(c5, index[5], c6));
                Avx512F.Store(t + 96, Avx512F.PermuteVar16x32x2(c6, index[6], c7));
                Avx512F.Store(t + 112, Avx512F.PermuteVar16x32x2(c8, index[7], c9));
                Avx512F.Store(t + 128, Avx512F.PermuteVar16x32x2(c9, index[8], c10));
                Avx512F.Store(t + 144, Avx512F.PermuteVar16x32x2(c10, index[9], c11));
                Avx512F.Store(t + 160, Avx512F.PermuteVar16x32x2(c11, index[10], c12));
                Avx512F.Store(t + 176, Avx512F.PermuteVar16x32x2(c12, index[11], c13));
                Avx512F.Store(t + 192, Avx512F.PermuteVar16x32x2(c13, index[12], c14));
                Avx512F.Store(t + 208, Avx512F.PermuteVar16x32x2(c14, index[13], c15));
            }
        }
        for (int r = 0; r < Rows; r++)
        {
            float* src = source + (long)r * ld;
            for (int p = vectorEnd; p < kc; p++) panel[p * Rows + r] = src[p];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Load(float* s, int row, int ld) => Avx512F.LoadVector512(s + (long)row * ld);

    /// <summary>32-bit then 64-bit interleaves of four rows within 128-bit lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Quads(Vector512<float> r0, Vector512<float> r1, Vector512<float> r2, Vector512<float> r3,
        out Vector512<float> q0, out Vector512<float> q1, out Vector512<float> q2, out Vector512<float> q3)
    {
        var low01 = Avx512F.UnpackLow(r0, r1).AsDouble();
        var high01 = Avx512F.UnpackHigh(r0, r1).AsDouble();
        var low23 = Avx512F.UnpackLow(r2, r3).AsDouble();
        var high23 = Avx512F.UnpackHigh(r2, r3).AsDouble();
        q0 = Avx512F.UnpackLow(low01, low23).AsSingle();
        q1 = Avx512F.UnpackHigh(low01, low23).AsSingle();
        q2 = Avx512F.UnpackLow(high01, high23).AsSingle();
        q3 = Avx512F.UnpackHigh(high01, high23).AsSingle();
    }

    /// <summary>Output l takes 128-bit lane l of each of the four inputs, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Lanes(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d,
        out Vector512<float> l0, out Vector512<float> l1, out Vector512<float> l2, out Vector512<float> l3)
    {
        var lowAb = Avx512F.Shuffle4x128(a, b, 0x44);
        var highAb = Avx512F.Shuffle4x128(a, b, 0xEE);
        var lowCd = Avx512F.Shuffle4x128(c, d, 0x44);
        var highCd = Avx512F.Shuffle4x128(c, d, 0xEE);
        l0 = Avx512F.Shuffle4x128(lowAb, lowCd, 0x88);
        l1 = Avx512F.Shuffle4x128(lowAb, lowCd, 0xDD);
        l2 = Avx512F.Shuffle4x128(highAb, highCd, 0x88);
        l3 = Avx512F.Shuffle4x128(highAb, highCd, 0xDD);
    }
}
