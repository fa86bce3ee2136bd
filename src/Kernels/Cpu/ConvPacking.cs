using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Implicit im2col: packs the convolution's column matrix B[(c, r, s), (image, oh, ow)] for one group
/// straight from the NCHW input into GEMM panels, so the columns are never materialized. For 16 output
/// positions j the source offsets oh·sh·W + ow·sw (+ a per-(c, r, s) base) are precomputed once per panel;
/// padding becomes a lane mask that depends only on (r, s). When the 16 offsets are consecutive (stride 1,
/// and "same" padding even across output rows) a masked load fetches them, otherwise a masked gather.
/// Masked-off lanes are never read, so windows hanging over the tensor's edges are safe.
/// </summary>
internal readonly unsafe struct ConvB : IPackB
{
    private const int MaxMaskTable = 64;
    private readonly float* x;
    private readonly int h, w, q, r, s, strideH, strideW, padH, padW, dilationH, dilationW, pixels, imageStride;

    /// <param name="input">first channel of this group in the first image</param>
    /// <param name="imageStride">floats between images; columns run over (image, pixel) when several images share one GEMM</param>
    public ConvB(float* input, in Conv2dShape shape, int imageStride)
    {
        x = input;
        this.imageStride = imageStride;
        pixels = shape.P * shape.Q;
        h = shape.H;
        w = shape.W;
        q = shape.Q;
        r = shape.R;
        s = shape.S;
        strideH = shape.StrideH;
        strideW = shape.StrideW;
        padH = shape.PadH;
        padW = shape.PadW;
        dilationH = shape.DilationH;
        dilationW = shape.DilationW;
    }

    public void Pack(int p0, int kc, int j0, int nc, float* destination)
    {
        const int nr = GemmKernel.NR;
        int window = r * s;
        int* columnOffsets = stackalloc int[nr];
        int* rowStarts = stackalloc int[nr];
        int* columnStarts = stackalloc int[nr];
        var masks = stackalloc Vector256<float>[2 * Math.Min(window, MaxMaskTable)];
        bool tabled = window <= MaxMaskTable;
        // Divisions by s per packed row would cost as much as the copy itself: tabulate each tap's offset.
        int* tapOffsets = stackalloc int[Math.Min(window, MaxMaskTable)];
        if (tabled)
            for (int rs = 0; rs < window; rs++) tapOffsets[rs] = rs / s * dilationH * w + rs % s * dilationW;
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            for (int t = 0; t < nr; t++)
            {
                int j = j0 + jr + Math.Min(t, cols - 1);
                int image = j / pixels, pixel = j - image * pixels;
                int oh = pixel / q, ow = pixel - oh * q;
                rowStarts[t] = t < cols ? oh * strideH - padH : int.MinValue / 2;
                columnStarts[t] = ow * strideW - padW;
                columnOffsets[t] = image * imageStride + (oh * strideH - padH) * w + columnStarts[t];
            }
            // Every offset, not just the ends: with a column stride > 1 and a row wrap the ends can lie nr − 1 apart
            // while the columns between them do not (found by the shape fuzz test: 1×1 conv, stride 1×2, padding 2).
            bool consecutive = cols == nr;
            for (int t = 1; consecutive && t < nr; t++) consecutive = columnOffsets[t] == columnOffsets[0] + t;
            var offsets0 = Avx.LoadVector256(columnOffsets);
            var offsets1 = Avx.LoadVector256(columnOffsets + 8);
            var ih0 = Avx.LoadVector256(rowStarts);
            var ih1 = Avx.LoadVector256(rowStarts + 8);
            var iw0 = Avx.LoadVector256(columnStarts);
            var iw1 = Avx.LoadVector256(columnStarts + 8);
            if (tabled)
                for (int rs = 0; rs < window; rs++)
                {
                    int dh = rs / s * dilationH, dw = rs % s * dilationW;
                    masks[2 * rs] = Mask(ih0, iw0, dh, dw);
                    masks[2 * rs + 1] = Mask(ih1, iw1, dh, dw);
                }

            float* panel = destination + (long)jr * kc;
            int c = p0 / window, rsIndex = p0 - c * window;
            float* channel = x + (long)c * h * w;
            for (int p = 0; p < kc; p++, panel += nr)
            {
                Vector256<float> mask0, mask1;
                int tapOffset;
                if (tabled)
                {
                    mask0 = masks[2 * rsIndex];
                    mask1 = masks[2 * rsIndex + 1];
                    tapOffset = tapOffsets[rsIndex];
                }
                else
                {
                    int dh = rsIndex / s * dilationH, dw = rsIndex % s * dilationW;
                    mask0 = Mask(ih0, iw0, dh, dw);
                    mask1 = Mask(ih1, iw1, dh, dw);
                    tapOffset = dh * w + dw;
                }
                float* origin = channel + tapOffset;
                if (consecutive)
                {
                    float* first = origin + columnOffsets[0];
                    Avx.Store(panel, Avx.MaskLoad(first, mask0));
                    Avx.Store(panel + 8, Avx.MaskLoad(first + 8, mask1));
                }
                else
                {
                    Avx.Store(panel, Avx2.GatherMaskVector256(Vector256<float>.Zero, origin, offsets0, mask0, 4));
                    Avx.Store(panel + 8, Avx2.GatherMaskVector256(Vector256<float>.Zero, origin, offsets1, mask1, 4));
                }
                if (++rsIndex == window)
                {
                    rsIndex = 0;
                    channel += (long)h * w;
                }
            }
        }
    }

    /// <summary>Lanes whose input pixel (row + dh, column + dw) lies inside the image.</summary>
    private Vector256<float> Mask(Vector256<int> rows, Vector256<int> columns, int dh, int dw)
    {
        // (uint)v < (uint)limit, done as a signed compare after flipping the sign bits.
        var sign = Vector256.Create(int.MinValue);
        var inRows = Avx2.CompareGreaterThan(Vector256.Create(h ^ int.MinValue), Avx2.Add(rows, Vector256.Create(dh)) ^ sign);
        var inColumns = Avx2.CompareGreaterThan(Vector256.Create(w ^ int.MinValue), Avx2.Add(columns, Vector256.Create(dw)) ^ sign);
        return (inRows & inColumns).AsSingle();
    }
}
