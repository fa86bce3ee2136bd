using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// The Winograd weight transform U = G·g·Gᵀ on AVX-512 for one 14-row panel of the packed A operand and one input
/// channel: each of the 9 taps of the panel's 14 kernels is gathered into one vector (two 8-lane gathers, the kernels
/// lie C·9 floats apart; rows past the last kernel read as 0, the panel's zero padding), the transform runs on the 14
/// lanes at once, and each of the 16 points is one masked store of the 14 adjacent floats the panel layout wants.
/// One thread, 512×512: 4.8 ms scalar (16 scattered scalar stores per kernel and channel), see bench/README.md.
/// </summary>
internal static unsafe class WinogradWeights512
{
    public static bool Applies(CpuIsa isa) => isa == CpuIsa.Avx512 && Avx512F.IsSupported && Avx2.IsSupported && GemmBlocking.For(isa).MR <= 16;

    /// <summary>Gather offsets (in floats) of the panel's rows 0..7 and 8..15, and which of them are kernels that exist.</summary>
    public readonly struct RowOffsets
    {
        public readonly Vector256<int> Low, High;
        public readonly Vector256<float> LowValid, HighValid;
        public readonly Vector512<float> Store;

        public RowOffsets(int rows, int mr, int channels)
        {
            int stride = channels * 9;
            Low = Vector256<int>.Indices * stride;
            High = (Vector256<int>.Indices + Vector256.Create(8)) * stride;
            LowValid = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(rows)).AsSingle();
            HighValid = Vector256.LessThan(Vector256<int>.Indices + Vector256.Create(8), Vector256.Create(rows)).AsSingle();
            Store = TailMask512.First(mr);
        }
    }

    /// <summary>The 16 points of channel <c>channel</c>'s kernels g (row r at g + r·C·9) to at + ξ·pointStride + r.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Channel(float* g, in RowOffsets rows, float* at, long pointStride)
    {
        var g0 = Tap(g, rows); var g1 = Tap(g + 1, rows); var g2 = Tap(g + 2, rows);
        var g3 = Tap(g + 3, rows); var g4 = Tap(g + 4, rows); var g5 = Tap(g + 5, rows);
        var g6 = Tap(g + 6, rows); var g7 = Tap(g + 7, rows); var g8 = Tap(g + 8, rows);
        var half = Vector512.Create(0.5f);
        // G·g: 4 rows of 3 (row 1 = (g0 + g1 + g2)/2 down each column, row 2 = (g0 − g1 + g2)/2).
        var t10 = half * (g0 + g3 + g6); var t11 = half * (g1 + g4 + g7); var t12 = half * (g2 + g5 + g8);
        var t20 = half * (g0 - g3 + g6); var t21 = half * (g1 - g4 + g7); var t22 = half * (g2 - g5 + g8);
        Row(at, pointStride, rows.Store, g0, g1, g2, half);
        Row(at + 4 * pointStride, pointStride, rows.Store, t10, t11, t12, half);
        Row(at + 8 * pointStride, pointStride, rows.Store, t20, t21, t22, half);
        Row(at + 12 * pointStride, pointStride, rows.Store, g6, g7, g8, half);
    }

    /// <summary>One row (a, b, e) of G·g times Gᵀ: [a, (a + b + e)/2, (a − b + e)/2, e].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row(float* at, long pointStride, Vector512<float> store, Vector512<float> a, Vector512<float> b, Vector512<float> e,
        Vector512<float> half)
    {
        Avx512F.MaskStore(at, store, a);
        Avx512F.MaskStore(at + pointStride, store, half * (a + b + e));
        Avx512F.MaskStore(at + 2 * pointStride, store, half * (a - b + e));
        Avx512F.MaskStore(at + 3 * pointStride, store, e);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Tap(float* tap, in RowOffsets rows)
        => Vector512.Create(
            Avx2.GatherMaskVector256(Vector256<float>.Zero, tap, rows.Low, rows.LowValid, 4),
            Avx2.GatherMaskVector256(Vector256<float>.Zero, tap, rows.High, rows.HighValid, 4));
}
