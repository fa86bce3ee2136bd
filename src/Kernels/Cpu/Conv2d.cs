namespace Ompq.Kernels.Cpu;

/// <summary>
/// Convolution as GEMM: per (image, group), W_g[Kg × Cg·R·S] · columns[Cg·R·S × P·Q] → y[Kg × P·Q];
/// 1×1 stride-1 unpadded convolutions read the NCHW input directly as the column matrix.
/// Bias, activation and fake quant are applied to each output plane right after it is produced.
/// </summary>
internal static unsafe class Conv2d
{
    public static void Forward(in Conv2dShape shape, float* x, float* w, float* bias, float* y, Epilogue epilogue, int threads)
    {
        var s = shape;
        if (s.IsDepthwise)
        {
            DepthwiseConv2d.Forward(s, x, w, bias, y, epilogue, threads);
            return;
        }
        int items = s.N * s.Groups;
        bool parallelItems = items >= threads;
        int gemmThreads = parallelItems ? 1 : threads;
        nint xs = (nint)x, ws = (nint)w, bs = (nint)bias, ys = (nint)y;
        CpuParallel.For(items, parallelItems ? threads : 1, item =>
            Item(s, item / s.Groups, item % s.Groups, (float*)xs, (float*)ws, (float*)bs, (float*)ys, epilogue, gemmThreads));
    }

    private static void Item(in Conv2dShape s, int image, int group, float* x, float* w, float* bias, float* y, Epilogue epilogue, int threads)
    {
        int p = s.P, q = s.Q, cg = s.CPerGroup, kg = s.KPerGroup;
        int plane = p * q;
        int depth = cg * s.R * s.S;
        float* input = x + ((long)image * s.C + (long)group * cg) * s.H * s.W;
        float* output = y + ((long)image * s.K + (long)group * kg) * plane;
        float* weights = w + (long)group * kg * depth;

        bool direct = s.R == 1 && s.S == 1 && s.StrideH == 1 && s.StrideW == 1 && s.PadH == 0 && s.PadW == 0;
        float* columns = direct ? input : ThreadScratch.Get(0, (long)depth * plane);
        if (!direct) Im2Col(s, input, columns);

        Gemm.Run(kg, plane, depth, 1f, weights, depth, false, columns, plane, false, 0f, output, plane, threads);

        if (bias != null || !EpilogueStore.IsIdentity(epilogue))
            for (int k = 0; k < kg; k++)
                EpilogueStore.Apply(output + (long)k * plane, plane, bias != null ? bias[group * kg + k] : 0f, epilogue);
    }

    /// <summary>Rows (c, r, s) × columns (oh, ow); zero where the window reads padding.</summary>
    private static void Im2Col(in Conv2dShape s, float* input, float* columns)
    {
        int p = s.P, q = s.Q;
        long row = 0;
        for (int c = 0; c < s.CPerGroup; c++)
        {
            float* channel = input + (long)c * s.H * s.W;
            for (int r = 0; r < s.R; r++)
                for (int t = 0; t < s.S; t++, row++)
                {
                    float* dst = columns + row * p * q;
                    int dh = r * s.DilationH - s.PadH, dw = t * s.DilationW - s.PadW;
                    for (int oh = 0; oh < p; oh++)
                    {
                        int h = oh * s.StrideH + dh;
                        float* d = dst + oh * q;
                        if ((uint)h >= (uint)s.H)
                        {
                            new Span<float>(d, q).Clear();
                            continue;
                        }
                        float* src = channel + (long)h * s.W;
                        if (s.StrideW == 1)
                        {
                            // Contiguous run with zero fringes.
                            int lo = Math.Clamp(-dw, 0, q), hi = Math.Clamp(s.W - dw, lo, q);
                            for (int ow = 0; ow < lo; ow++) d[ow] = 0f;
                            new ReadOnlySpan<float>(src + lo + dw, hi - lo).CopyTo(new Span<float>(d + lo, hi - lo));
                            for (int ow = hi; ow < q; ow++) d[ow] = 0f;
                        }
                        else
                        {
                            for (int ow = 0; ow < q; ow++)
                            {
                                int wcol = ow * s.StrideW + dw;
                                d[ow] = (uint)wcol < (uint)s.W ? src[wcol] : 0f;
                            }
                        }
                    }
                }
        }
    }
}
