using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Scratch layout of one padded input plane for window kernels (depthwise conv, pooling): rows of sw
/// stride phases (column i·sw + f of the padded row goes to phase f, index i), each PhaseLength floats,
/// so the window tap at column offset t reads 8 consecutive outputs' inputs with one contiguous load.
/// Padding and the slack past the last output are filled with <c>padValue</c>.
/// </summary>
internal readonly unsafe struct PaddedLayout
{
    private readonly int h, w, padH, padW, strideW, rows;
    private readonly float padValue;

    public PaddedLayout(int h, int w, int p, int q, int r, int s, int strideH, int strideW, int padH, int padW,
        int dilationH, int dilationW, float padValue)
    {
        this.h = h;
        this.w = w;
        this.padH = padH;
        this.padW = padW;
        this.strideW = strideW;
        this.padValue = padValue;
        // The same formula Validate() bounded (so the int casts below cannot wrap for a validated shape).
        var plane = PaddedPlane.For(w, p, q, r, s, strideH, strideW, padW, dilationH, dilationW);
        rows = checked((int)plane.Rows);
        PhaseLength = checked((int)plane.PhaseLength);
        RowLength = checked((int)plane.RowLength);
    }

    public PaddedLayout(in Conv2dShape s)
        : this(s.H, s.W, s.P, s.Q, s.R, s.S, s.StrideH, s.StrideW, s.PadH, s.PadW, s.DilationH, s.DilationW, 0f)
    {
    }

    public PaddedLayout(in Pool2dShape s, float padValue)
        : this(s.H, s.W, s.P, s.Q, s.R, s.S, s.StrideH, s.StrideW, s.PadH, s.PadW, 1, 1, padValue)
    {
    }

    /// <summary>Scratch offset of tap column t (dilation dw) relative to the output column.</summary>
    public int TapOffset(int t, int dilationW) => t * dilationW % strideW * PhaseLength + t * dilationW / strideW;

    public int PhaseLength { get; }
    public int RowLength { get; }
    public long Size => (long)rows * RowLength;

    /// <summary>Stride 2: even input columns (after padding) to phase 0, odd ones to phase 1, 16 at a time.</summary>
    private void SplitPairs(float* src, float* even, float* odd)
    {
        var order = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
        int i = 0;
        while (i < PhaseLength)
        {
            int col = 2 * i - padW;
            if (col >= 0 && col + 16 <= w && i + 8 <= PhaseLength)
            {
                var lo = Avx2.PermuteVar8x32(Avx.LoadVector256(src + col), order);
                var hi = Avx2.PermuteVar8x32(Avx.LoadVector256(src + col + 8), order);
                Avx.Store(even + i, Avx2.Permute2x128(lo, hi, 0x20));
                Avx.Store(odd + i, Avx2.Permute2x128(lo, hi, 0x31));
                i += 8;
                continue;
            }
            even[i] = (uint)col < (uint)w ? src[col] : padValue;
            odd[i] = (uint)(col + 1) < (uint)w ? src[col + 1] : padValue;
            i++;
        }
    }

    public void Fill(float* plane, float* padded)
    {
        for (int yRow = 0; yRow < rows; yRow++)
        {
            float* dst = padded + (long)yRow * RowLength;
            int ih = yRow - padH;
            if ((uint)ih >= (uint)h)
            {
                new Span<float>(dst, RowLength).Fill(padValue);
                continue;
            }
            float* src = plane + (long)ih * w;
            if (strideW == 1)
            {
                // Rows are short (7–112 floats): inline vector copies beat library calls here.
                for (int i = 0; i < padW; i++) dst[i] = padValue;
                float* body = dst + padW;
                int col = 0;
                for (; col + 8 <= w; col += 8) Avx.Store(body + col, Avx.LoadVector256(src + col));
                for (; col < w; col++) body[col] = src[col];
                for (int i = padW + w; i < RowLength; i++) dst[i] = padValue;
                continue;
            }
            if (strideW == 2)
            {
                SplitPairs(src, dst, dst + PhaseLength);
                continue;
            }
            for (int f = 0; f < strideW; f++)
            {
                float* phase = dst + f * PhaseLength;
                for (int i = 0; i < PhaseLength; i++)
                {
                    int col = i * strideW + f - padW;
                    phase[i] = (uint)col < (uint)w ? src[col] : padValue;
                }
            }
        }
    }
}
