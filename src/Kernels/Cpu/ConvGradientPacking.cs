namespace Ompq.Kernels.Cpu;

/// <summary>
/// The weight gradient's GEMM operands for one group, dWᵀ[(c, r, s) × k] = Σ over (image, pixel) of
/// A[(c, r, s), (image, pixel)] · B[(image, pixel), k]: A is the input's column matrix (im2col, never
/// materialized) and B the output gradient transposed. Both walk the reduction index (image, pixel) in runs of
/// one output row, so the per-element work is a bounds test and a copy.
/// </summary>
internal readonly unsafe struct InputColumnsA : IPackA
{
    private readonly float* x;
    private readonly int h, w, p, q, s, window, strideH, strideW, padH, padW, dilationH, dilationW;
    private readonly long imageStride;

    /// <param name="input">first channel of this group in the first image</param>
    public InputColumnsA(float* input, in Conv2dShape shape)
    {
        x = input;
        imageStride = (long)shape.C * shape.H * shape.W;
        h = shape.H;
        w = shape.W;
        p = shape.P;
        q = shape.Q;
        s = shape.S;
        window = shape.R * shape.S;
        strideH = shape.StrideH;
        strideW = shape.StrideW;
        padH = shape.PadH;
        padW = shape.PadW;
        dilationH = shape.DilationH;
        dilationW = shape.DilationW;
    }

    public bool Prepacked => false;

    public float* Panels(int i0, int mc, int p0, int kc, int mr, float* scratch)
    {
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            float* panel = scratch + (long)ir * kc;
            for (int row = 0; row < mr; row++)
            {
                if (row < rows) PackRow(i0 + ir + row, p0, kc, mr, panel + row);
                else
                    for (int j = 0; j < kc; j++) panel[j * mr + row] = 0f;
            }
        }
        return scratch;
    }

    /// <summary>Column values of tap row (c, r, s) for reduction indices [p0, p0 + kc), every MR-th float of <paramref name="destination"/>.</summary>
    private void PackRow(int tap, int p0, int kc, int mr, float* destination)
    {
        int c = tap / window, rs = tap - c * window;
        int dh = rs / s * dilationH - padH, dw = rs % s * dilationW - padW;
        int pixels = p * q;
        int image = p0 / pixels, pixel = p0 - image * pixels;
        int oh = pixel / q, ow = pixel - oh * q;
        for (int j = 0; j < kc;)
        {
            int run = Math.Min(q - ow, kc - j);
            float* dst = destination + (long)j * mr;
            int ih = oh * strideH + dh;
            if ((uint)ih >= (uint)h)
            {
                for (int t = 0; t < run; t++) dst[t * mr] = 0f;
            }
            else
            {
                float* row = x + image * imageStride + ((long)c * h + ih) * w;
                int iw = ow * strideW + dw;
                for (int t = 0; t < run; t++, iw += strideW) dst[t * mr] = (uint)iw < (uint)w ? row[iw] : 0f;
            }
            j += run;
            ow += run;
            if (ow == q)
            {
                ow = 0;
                if (++oh == p)
                {
                    oh = 0;
                    image++;
                }
            }
        }
    }
}

/// <summary>B[(image, pixel), k] = dy[image, k, pixel] for the group's output channels.</summary>
internal readonly unsafe struct OutputGradientB(float* dy, int pixels, long imageStride) : IPackB
{
    public void Pack(int p0, int kc, int j0, int nc, int nr, float* destination)
    {
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            float* panel = destination + (long)jr * kc;
            for (int col = 0; col < nr; col++)
            {
                if (col >= cols)
                {
                    for (int j = 0; j < kc; j++) panel[j * nr + col] = 0f;
                    continue;
                }
                int image = p0 / pixels, pixel = p0 - image * pixels;
                for (int j = 0; j < kc;)
                {
                    int run = Math.Min(pixels - pixel, kc - j);
                    float* src = dy + image * imageStride + (long)(j0 + jr + col) * pixels + pixel;
                    float* dst = panel + (long)j * nr + col;
                    for (int t = 0; t < run; t++) dst[t * nr] = src[t];
                    j += run;
                    pixel = 0;
                    image++;
                }
            }
        }
    }
}
