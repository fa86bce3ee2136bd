namespace Ompq.Kernels.Cpu;

/// <summary>
/// B for a 1×1, stride-1, unpadded convolution batched over images: B[c, (image, pixel)] = x[image][c][pixel]. Each
/// packed row of a panel is one or a few plain copies (a panel crosses into the next image at most a few times), with
/// none of <see cref="ConvB"/>'s per-tap masks and offset tables: on 7²–28² planes, where the few output channels of a
/// MobileNet pointwise layer reuse every packed float only K times, packing was as costly as the FMAs.
/// </summary>
internal readonly unsafe struct PointwiseImagesB(float* x, int pixels, long imageStride) : IPackB
{
    public void Pack(int p0, int kc, int j0, int nc, int nr, float* destination)
    {
        long* runOffsets = stackalloc long[nr];
        int* runLengths = stackalloc int[nr];
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr), j = j0 + jr;
            int image = j / pixels, pixel = j - image * pixels;
            float* panel = destination + (long)jr * kc;
            if (pixel + cols <= pixels && cols == nr)
            {
                // The whole panel inside one image: each row is one copy of nr floats.
                float* src = x + image * imageStride + (long)p0 * pixels + pixel;
                for (int p = 0; p < kc; p++, src += pixels) PanelRow.Copy(src, panel + p * nr, nr);
                continue;
            }
            // The panel crosses into the next image(s): its runs (source offset, length) are the same for every row.
            int runs = 0;
            for (int done = 0, img = image, px = pixel; done < cols; img++, px = 0, runs++)
            {
                int run = Math.Min(cols - done, pixels - px);
                runOffsets[runs] = img * imageStride + px;
                runLengths[runs] = run;
                done += run;
            }
            for (int p = 0; p < kc; p++)
            {
                float* dst = panel + p * nr;
                long row = (long)(p0 + p) * pixels;
                for (int k = 0; k < runs; k++)
                {
                    PanelRow.Copy(x + runOffsets[k] + row, dst, runLengths[k]);
                    dst += runLengths[k];
                }
                for (int t = cols; t < nr; t++) panel[p * nr + t] = 0f;
            }
        }
    }
}
