namespace Ompq.Kernels;

/// <summary>
/// Size of the scratch plane the CPU window kernels (depthwise conv, pooling) copy one input plane into: rows of
/// strideW phases of <see cref="PhaseLength"/> floats each, long enough for the padded input and for the reach of the
/// last vector of 8 outputs. Computed in 64-bit (saturating) so that Validate() can bound it before a kernel runs,
/// and shared with the kernels' layout so the bound and the allocation are the same formula.
/// </summary>
internal readonly record struct PaddedPlane(long Rows, long PhaseLength, long RowLength)
{
    public long Elements => SizeArithmetic.Product(Rows, RowLength);

    public static PaddedPlane For(int w, int p, int q, int r, int s, int strideH, int strideW, int padW, int dilationH, int dilationW)
    {
        long rows = SizeArithmetic.Product(p - 1L, strideH) + SizeArithmetic.WindowExtent(r, dilationH);
        long data = (SizeArithmetic.PaddedExtent(w, padW) + strideW - 1) / strideW;
        long reach = (q + 7L) / 8 * 8 + (SizeArithmetic.WindowExtent(s, dilationW) - 1) / strideW + 1;
        long phase = Math.Max(data, reach) + 8;
        return new PaddedPlane(rows, phase, SizeArithmetic.Product(phase, strideW));
    }
}
