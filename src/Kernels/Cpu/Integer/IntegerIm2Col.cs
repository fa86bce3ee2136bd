namespace Ompq.Kernels.Cpu.Integer;

/// <summary>
/// Lays out the receptive field of each output pixel of a channels-last u8 input as one row of
/// <see cref="IntegerWeightPacking.PaddedDepth"/> bytes, j = (r·S + s)·C + c; taps outside the input read the grid's
/// zero code (what zero padding is on that grid), the row tail is zero (its weights are zero).
/// </summary>
internal static unsafe class IntegerIm2Col
{
    /// <summary>True when the input rows already are the GEMM rows (1×1, stride 1, no padding, C a multiple of 4).</summary>
    public static bool IsDirect(in Conv2dShape s)
        => s.R == 1 && s.S == 1 && s.StrideH == 1 && s.StrideW == 1 && s.PadH == 0 && s.PadW == 0 && s.C % 4 == 0;

    public static void Rows(in Conv2dShape s, byte* input, byte zero, byte* rows, int padded, long firstRow, long endRow)
    {
        int c = s.C, p = s.P, q = s.Q;
        for (long m = firstRow; m < endRow; m++)
        {
            int n = (int)(m / ((long)p * q)), pq = (int)(m % ((long)p * q));
            int op = pq / q, oq = pq % q;
            byte* row = rows + m * padded;
            for (int r = 0; r < s.R; r++)
            {
                int h = op * s.StrideH - s.PadH + r * s.DilationH;
                for (int t = 0; t < s.S; t++)
                {
                    int w = oq * s.StrideW - s.PadW + t * s.DilationW;
                    byte* dst = row + (r * s.S + t) * c;
                    if (h < 0 || h >= s.H || w < 0 || w >= s.W) new Span<byte>(dst, c).Fill(zero);
                    else if (c == 1) *dst = input[((long)n * s.H + h) * s.W + w];
                    else Buffer.MemoryCopy(input + (((long)n * s.H + h) * s.W + w) * c, dst, c, c);
                }
            }
            int depth = c * s.R * s.S;
            for (int j = depth; j < padded; j++) row[j] = 0;
        }
    }
}
