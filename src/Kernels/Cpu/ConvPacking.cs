using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Implicit im2col: packs the convolution's column matrix B[(c, r, s), (image, oh, ow)] for one group
/// straight from the NCHW input into GEMM panels, so the columns are never materialized. For the NR output
/// positions j of a panel the source offsets oh·sh·W + ow·sw (+ a per-(c, r, s) base) are precomputed once;
/// padding becomes a lane mask (per 8-lane chunk) that depends only on (r, s). When the NR offsets are consecutive
/// (stride 1, and "same" padding even across output rows) masked loads fetch them, otherwise masked gathers; that is
/// judged per 8 lanes, so a panel over several small images gathers only where it crosses from one image to the next.
/// Masked-off lanes are never read, so windows hanging over the tensor's edges are safe. The portable path does the
/// same element by element.
/// </summary>
internal readonly unsafe struct ConvB : IPackB
{
    private const int MaxMaskTable = 64;
    private readonly float* x;
    private readonly int h, w, q, r, s, strideH, strideW, padH, padW, dilationH, dilationW, pixels, imageStride;
    private readonly bool simd, avx512;

    /// <param name="input">first channel of this group in the first image</param>
    /// <param name="imageStride">floats between images; columns run over (image, pixel) when several images share one GEMM</param>
    /// <param name="isa">the portable path packs element by element instead of with AVX2 masked loads and gathers</param>
    public ConvB(float* input, in Conv2dShape shape, int imageStride, CpuIsa isa)
    {
        x = input;
        simd = isa.HasAvx2();
        avx512 = isa == CpuIsa.Avx512 && Avx512F.IsSupported;
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

    public void Pack(int p0, int kc, int j0, int nc, int nr, float* destination)
    {
        if (!simd)
        {
            PackScalar(p0, kc, j0, nc, nr, destination);
            return;
        }
        // The panel in 8-lane chunks (NR is 16 for the AVX2 tile, 32 for the AVX-512 one).
        int chunks = nr / 8;
        bool wide = avx512 && chunks % 2 == 0;
        int window = r * s;
        int* columnOffsets = stackalloc int[nr];
        int* rowStarts = stackalloc int[nr];
        int* columnStarts = stackalloc int[nr];
        bool tabled = window <= MaxMaskTable;
        var masks = stackalloc Vector256<float>[chunks * Math.Min(window, MaxMaskTable)];
        var offsets = stackalloc Vector256<int>[chunks];
        var ih = stackalloc Vector256<int>[chunks];
        var iw = stackalloc Vector256<int>[chunks];
        // Divisions by s per packed row would cost as much as the copy itself: tabulate each tap's offset.
        int* tapOffsets = stackalloc int[Math.Min(window, MaxMaskTable)];
        if (tabled)
            for (int rs = 0; rs < window; rs++) tapOffsets[rs] = rs / s * dilationH * w + rs % s * dilationW;
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            Columns(j0 + jr, cols, nr, columnOffsets, rowStarts, columnStarts);
            // Every offset, not just the ends: with a column stride > 1 and a row wrap the ends can lie nr − 1 apart
            // while the columns between them do not (found by the shape fuzz test: 1×1 conv, stride 1×2, padding 2).
            // Judged per 8-lane chunk: when several small images share the panel, only the chunk that crosses from one
            // image into the next needs a gather.
            int consecutiveChunks = 0;
            for (int v = 0; v < chunks; v++)
            {
                bool run = 8 * v + 8 <= cols;
                for (int t = 8 * v + 1; run && t < 8 * v + 8; t++) run = columnOffsets[t] == columnOffsets[8 * v] + t - 8 * v;
                if (run) consecutiveChunks |= 1 << v;
            }
            // Chunks each consecutive need not continue one another (the panel may run from one image into the next).
            bool consecutive = consecutiveChunks == (1 << chunks) - 1;
            for (int v = 1; consecutive && v < chunks; v++) consecutive = columnOffsets[8 * v] == columnOffsets[0] + 8 * v;
            for (int v = 0; v < chunks; v++)
            {
                offsets[v] = Avx.LoadVector256(columnOffsets + 8 * v);
                ih[v] = Avx.LoadVector256(rowStarts + 8 * v);
                iw[v] = Avx.LoadVector256(columnStarts + 8 * v);
            }
            if (tabled)
                for (int rs = 0; rs < window; rs++)
                {
                    int dh = rs / s * dilationH, dw = rs % s * dilationW;
                    for (int v = 0; v < chunks; v++) masks[chunks * rs + v] = Mask(ih[v], iw[v], dh, dw);
                }

            float* panel = destination + (long)jr * kc;
            int c = p0 / window, rsIndex = p0 - c * window;
            float* channel = x + (long)c * h * w;
            for (int p = 0; p < kc; p++, panel += nr)
            {
                int tapOffset;
                Vector256<float>* mask = masks + chunks * rsIndex;
                if (tabled) tapOffset = tapOffsets[rsIndex];
                else
                {
                    int dh = rsIndex / s * dilationH, dw = rsIndex % s * dilationW;
                    mask = masks;
                    for (int v = 0; v < chunks; v++) mask[v] = Mask(ih[v], iw[v], dh, dw);
                    tapOffset = dh * w + dw;
                }
                float* origin = channel + tapOffset;
                if (consecutive && wide)
                {
                    // The AVX-512 tile's 32 columns as two 16-lane masked loads (the 8-lane masks side by side).
                    float* first = origin + columnOffsets[0];
                    for (int v = 0; v < chunks; v += 2)
                        Avx512F.Store(panel + 8 * v, Avx512F.MaskLoad(first + 8 * v, Vector512.Create(mask[v], mask[v + 1]), Vector512<float>.Zero));
                }
                else if (consecutive)
                {
                    float* first = origin + columnOffsets[0];
                    for (int v = 0; v < chunks; v++) Avx.Store(panel + 8 * v, Avx.MaskLoad(first + 8 * v, mask[v]));
                }
                else
                {
                    for (int v = 0; v < chunks; v++)
                        Avx.Store(panel + 8 * v, (consecutiveChunks >> v & 1) != 0
                            ? Avx.MaskLoad(origin + columnOffsets[8 * v], mask[v])
                            : Avx2.GatherMaskVector256(Vector256<float>.Zero, origin, offsets[v], mask[v], 4));
                }
                if (++rsIndex == window)
                {
                    rsIndex = 0;
                    channel += (long)h * w;
                }
            }
        }
    }

    /// <summary>
    /// For the panel's columns j0 + t: the first input row and column of their window, and their offset from a
    /// channel's origin. Columns past the end repeat the last real one but get a row start that no tap can bring
    /// inside the image, so they pack as zeros.
    /// </summary>
    private void Columns(int j0, int cols, int nr, int* columnOffsets, int* rowStarts, int* columnStarts)
    {
        for (int t = 0; t < nr; t++)
        {
            int j = j0 + Math.Min(t, cols - 1);
            int image = j / pixels, pixel = j - image * pixels;
            int oh = pixel / q, ow = pixel - oh * q;
            rowStarts[t] = t < cols ? oh * strideH - padH : int.MinValue / 2;
            columnStarts[t] = ow * strideW - padW;
            columnOffsets[t] = image * imageStride + (oh * strideH - padH) * w + columnStarts[t];
        }
    }

    /// <summary>The portable path: the same panel, one element at a time, bounds tested per element.</summary>
    private void PackScalar(int p0, int kc, int j0, int nc, int nr, float* destination)
    {
        int window = r * s;
        int* columnOffsets = stackalloc int[nr];
        int* rowStarts = stackalloc int[nr];
        int* columnStarts = stackalloc int[nr];
        for (int jr = 0; jr < nc; jr += nr)
        {
            Columns(j0 + jr, Math.Min(nr, nc - jr), nr, columnOffsets, rowStarts, columnStarts);
            float* panel = destination + (long)jr * kc;
            int c = p0 / window, rsIndex = p0 - c * window;
            float* channel = x + (long)c * h * w;
            for (int p = 0; p < kc; p++, panel += nr)
            {
                int dh = rsIndex / s * dilationH, dw = rsIndex % s * dilationW;
                float* origin = channel + dh * w + dw;
                for (int t = 0; t < nr; t++)
                {
                    bool inside = (uint)(rowStarts[t] + dh) < (uint)h && (uint)(columnStarts[t] + dw) < (uint)w;
                    panel[t] = inside ? origin[columnOffsets[t]] : 0f;
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
