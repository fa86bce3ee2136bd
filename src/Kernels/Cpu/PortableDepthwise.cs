namespace Ompq.Kernels.Cpu;

/// <summary>
/// Depthwise convolution on the portable path: any window, stride, padding and dilation, one (image, channel) plane
/// per work item. Each output row is summed tap by tap over the run of columns whose input column lies inside the
/// image, so there are no bounds tests in the inner loop and no padded copy; then bias, activation and fake quant are
/// applied to the finished row (<see cref="EpilogueStore"/>). Scalar: the AVX2 kernels' speed comes from their
/// layout-specific vector code, which this path exists to do without.
/// </summary>
internal static unsafe class PortableDepthwise
{
    public static void Forward(Conv2dShape s, float* x, float* w, float* bias, float* y, Epilogue epilogue, int threads)
    {
        nint xs = (nint)x, ws = (nint)w, bs = (nint)bias, ys = (nint)y;
        CpuParallel.ForRange((long)s.N * s.C, threads, 8, (start, end) =>
        {
            for (long plane = start; plane < end; plane++)
            {
                int c = (int)(plane % s.C);
                float* kernel = (float*)ws + (long)c * s.R * s.S;
                float b = bs != 0 ? ((float*)bs)[c] : 0f;
                Plane(s, (float*)xs + plane * s.H * s.W, kernel, (float*)ys + plane * s.P * s.Q);
                EpilogueStore.Apply((float*)ys + plane * s.P * s.Q, (long)s.P * s.Q, b, epilogue, CpuIsa.Portable);
            }
        }, chunksPerThread: 16);
    }

    private static void Plane(in Conv2dShape s, float* input, float* kernel, float* output)
    {
        int sw = s.StrideW;
        for (int oh = 0; oh < s.P; oh++)
        {
            float* row = output + (long)oh * s.Q;
            new Span<float>(row, s.Q).Clear();
            for (int r = 0; r < s.R; r++)
            {
                int ih = oh * s.StrideH - s.PadH + r * s.DilationH;
                if ((uint)ih >= (uint)s.H) continue;
                float* source = input + (long)ih * s.W;
                for (int t = 0; t < s.S; t++)
                {
                    int dw = t * s.DilationW - s.PadW;
                    // Output columns whose input column ow·sw + dw lies in [0, W).
                    int first = Math.Max(0, CeilDiv(-dw, sw)), last = Math.Min(s.Q, FloorDiv(s.W - 1 - dw, sw) + 1);
                    float tap = kernel[r * s.S + t];
                    float* src = source + dw;
                    for (int ow = first; ow < last; ow++) row[ow] += tap * src[ow * sw];
                }
            }
        }
    }

    private static int CeilDiv(int a, int b) => a >= 0 ? (a + b - 1) / b : -(-a / b);

    private static int FloorDiv(int a, int b) => a >= 0 ? a / b : -((-a + b - 1) / b);
}
