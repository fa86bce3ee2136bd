namespace Ompq.Kernels.Cpu;

/// <summary>
/// Gradients of max, average and global-average pooling over NCHW, one (n, c) plane per work item. Window gradients
/// are scattered in row-major output order, the order torch's cpu kernels use, so overlapping windows sum identically.
/// </summary>
internal static unsafe class PoolingBackward
{
    public static void Max(Pool2dShape s, float* x, float* dy, float* dx, int threads)
    {
        nint xs = (nint)x, dys = (nint)dy, dxs = (nint)dx;
        long inputPlane = (long)s.H * s.W, outputPlane = (long)s.P * s.Q;
        ForEachPlane(s, threads, plane =>
            MaxPlane(s, (float*)xs + plane * inputPlane, (float*)dys + plane * outputPlane, (float*)dxs + plane * inputPlane));
    }

    public static void Average(Pool2dShape s, float* dy, float* dx, int threads)
    {
        nint dys = (nint)dy, dxs = (nint)dx;
        long inputPlane = (long)s.H * s.W, outputPlane = (long)s.P * s.Q;
        ForEachPlane(s, threads, plane => AveragePlane(s, (float*)dys + plane * outputPlane, (float*)dxs + plane * inputPlane));
    }

    public static void GlobalAverage(ChannelShape s, float* dy, float* dx, int threads)
    {
        nint dys = (nint)dy, dxs = (nint)dx;
        long spatial = s.Spatial;
        CpuParallel.ForRange((long)s.N * s.C, threads, Math.Max(1, (1 << 14) / spatial), (first, last) =>
        {
            for (long plane = first; plane < last; plane++)
            {
                // dy/spatial, the quotient torch's mean backward broadcasts.
                float value = ((float*)dys)[plane] / spatial;
                float* target = (float*)dxs + plane * spatial;
                new Span<float>(target, checked((int)spatial)).Fill(value);
            }
        }, chunksPerThread: 4);
    }

    private static void ForEachPlane(Pool2dShape s, int threads, Action<long> body)
    {
        long planeWork = (long)s.H * s.W + (long)s.P * s.Q * s.R * s.S;
        CpuParallel.ForRange((long)s.N * s.C, threads, Math.Max(1, (1 << 14) / planeWork), (first, last) =>
        {
            for (long plane = first; plane < last; plane++) body(plane);
        }, chunksPerThread: 4);
    }

    /// <summary>
    /// Each dy goes to the first maximum of its window's in-image cells (padding is −∞ and never wins). A NaN wins
    /// over everything and a later NaN over an earlier one, as in torch's max_pool2d_with_indices.
    /// </summary>
    private static void MaxPlane(in Pool2dShape s, float* x, float* dy, float* dx)
    {
        // P and Q are computed properties (a division per access): read once.
        int width = s.W, p = s.P, q = s.Q;
        new Span<float>(dx, s.H * width).Clear();
        for (int oh = 0; oh < p; oh++)
        {
            int h0 = oh * s.StrideH - s.PadH, hStart = Math.Max(h0, 0), hEnd = Math.Min(h0 + s.R, s.H);
            for (int ow = 0; ow < q; ow++)
            {
                int w0 = ow * s.StrideW - s.PadW, wStart = Math.Max(w0, 0), wEnd = Math.Min(w0 + s.S, width);
                int best = hStart * width + wStart;
                float bestValue = x[best];
                for (int h = hStart; h < hEnd; h++)
                    for (int w = wStart; w < wEnd; w++)
                    {
                        float v = x[h * width + w];
                        if (v > bestValue || float.IsNaN(v))
                        {
                            bestValue = v;
                            best = h * width + w;
                        }
                    }
                dx[best] += dy[oh * q + ow];
            }
        }
    }

    /// <summary>Each dy, divided by the forward's divisor, is added to every in-image cell of its window.</summary>
    private static void AveragePlane(in Pool2dShape s, float* dy, float* dx)
    {
        // P and Q are computed properties (a division per access): read once.
        int width = s.W, p = s.P, q = s.Q;
        new Span<float>(dx, s.H * width).Clear();
        for (int oh = 0; oh < p; oh++)
        {
            int h0 = oh * s.StrideH - s.PadH, hStart = Math.Max(h0, 0), hEnd = Math.Min(h0 + s.R, s.H);
            for (int ow = 0; ow < q; ow++)
            {
                int w0 = ow * s.StrideW - s.PadW, wStart = Math.Max(w0, 0), wEnd = Math.Min(w0 + s.S, width);
                // Floor-mode windows never pass the padded edge, so with padding counted the divisor is R·S.
                int divisor = s.CountIncludePad ? s.R * s.S : (hEnd - hStart) * (wEnd - wStart);
                float delta = dy[oh * q + ow] / divisor;
                for (int h = hStart; h < hEnd; h++)
                    for (int w = wStart; w < wEnd; w++)
                        dx[h * width + w] += delta;
            }
        }
    }
}
