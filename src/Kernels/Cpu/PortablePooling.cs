namespace Ompq.Kernels.Cpu;

/// <summary>
/// Max and average window pooling on the portable path: straight from the input, one (n, c) plane per work item, taps
/// outside the image skipped (the AVX2 kernels read them as −∞ or 0 from a padded copy, which gives the same results).
/// Same divisors and the same NaN rule as <see cref="Pooling"/>: a NaN anywhere in a max window is the output.
/// </summary>
internal static unsafe class PortablePooling
{
    public static void Windowed(Pool2dShape s, float* x, float* y, int threads, bool average)
    {
        nint xs = (nint)x, ys = (nint)y;
        CpuParallel.ForRange((long)s.N * s.C, threads, 8, (first, last) =>
        {
            for (long plane = first; plane < last; plane++)
                Plane(s, (float*)xs + plane * s.H * s.W, (float*)ys + plane * s.P * s.Q, average);
        }, chunksPerThread: 16);
    }

    private static void Plane(in Pool2dShape s, float* input, float* output, bool average)
    {
        for (int oh = 0; oh < s.P; oh++)
        {
            int top = oh * s.StrideH - s.PadH;
            int r0 = Math.Max(0, -top), r1 = Math.Min(s.R, s.H - top);
            float rows = s.CountIncludePad ? s.R : r1 - r0;
            for (int ow = 0; ow < s.Q; ow++)
            {
                int left = ow * s.StrideW - s.PadW;
                int t0 = Math.Max(0, -left), t1 = Math.Min(s.S, s.W - left);
                float value;
                if (average)
                {
                    float sum = 0f;
                    for (int r = r0; r < r1; r++)
                        for (int t = t0; t < t1; t++) sum += input[(long)(top + r) * s.W + left + t];
                    float columns = s.CountIncludePad ? s.S : t1 - t0;
                    value = sum / (rows * columns);
                }
                else
                {
                    value = float.NegativeInfinity;
                    for (int r = r0; r < r1; r++)
                        for (int t = t0; t < t1; t++)
                        {
                            float v = input[(long)(top + r) * s.W + left + t];
                            if (v > value || float.IsNaN(v)) value = v;
                            if (float.IsNaN(value)) goto done;
                        }
                    done:;
                }
                output[(long)oh * s.Q + ow] = value;
            }
        }
    }
}
