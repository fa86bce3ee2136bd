using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ompq.Kernels.Cpu.Integer;

/// <summary>
/// Lays out the receptive field of each output pixel of a channels-last u8 input as one row of
/// <see cref="IntegerWeightPacking.PaddedDepth"/> bytes, j = (r·S + s)·C + c; taps outside the input read the grid's
/// zero code (what zero padding is on that grid), the row tail is zero (its weights are zero). Small networks have
/// few channels, so a tap is often 16 or 32 bytes: the copy is a few vector moves, not a library call.
/// </summary>
internal static unsafe class IntegerIm2Col
{
    /// <summary>True when the input rows already are the GEMM rows (1×1, stride 1, no padding, C a multiple of 4).</summary>
    public static bool IsDirect(in Conv2dShape s)
        => s.R == 1 && s.S == 1 && s.StrideH == 1 && s.StrideW == 1 && s.PadH == 0 && s.PadW == 0 && s.C % 4 == 0;

    public static void Rows(in Conv2dShape s, byte* input, byte zero, byte* rows, int padded, long firstRow, long endRow)
    {
        int c = s.C, p = s.P, q = s.Q;
        var zeros = Vector256.Create(zero);
        int depth = c * s.R * s.S;
        for (long m = firstRow; m < endRow; m++)
        {
            int n = (int)(m / ((long)p * q)), pq = (int)(m % ((long)p * q));
            int op = pq / q, oq = pq % q;
            byte* row = rows + m * padded;
            for (int r = 0; r < s.R; r++)
            {
                int h = op * s.StrideH - s.PadH + r * s.DilationH;
                bool rowInside = h >= 0 && h < s.H;
                byte* inputRow = input + ((long)n * s.H + h) * s.W * c;
                for (int t = 0; t < s.S; t++)
                {
                    int w = oq * s.StrideW - s.PadW + t * s.DilationW;
                    byte* dst = row + (r * s.S + t) * c;
                    if (!rowInside || w < 0 || w >= s.W) Fill(dst, c, zeros, zero);
                    else Copy(inputRow + (long)w * c, dst, c);
                }
            }
            for (int j = depth; j < padded; j++) row[j] = 0;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(byte* src, byte* dst, int count)
    {
        int i = 0;
        for (; i + 32 <= count; i += 32) Vector256.Load(src + i).Store(dst + i);
        if (i + 16 <= count)
        {
            Vector128.Load(src + i).Store(dst + i);
            i += 16;
        }
        if (i + 8 <= count)
        {
            *(ulong*)(dst + i) = *(ulong*)(src + i);
            i += 8;
        }
        for (; i < count; i++) dst[i] = src[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fill(byte* dst, int count, Vector256<byte> zeros, byte zero)
    {
        int i = 0;
        for (; i + 32 <= count; i += 32) zeros.Store(dst + i);
        if (i + 16 <= count)
        {
            zeros.GetLower().Store(dst + i);
            i += 16;
        }
        for (; i < count; i++) dst[i] = zero;
    }
}
