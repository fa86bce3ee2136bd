using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>Max, average and global-average pooling over NCHW, one (n, c) plane per work item.</summary>
internal static unsafe class Pooling
{
    public static void Max(Pool2dShape s, float* x, float* y, int threads)
    {
        nint xs = (nint)x, ys = (nint)y;
        int p = s.P, q = s.Q;
        CpuParallel.For(s.N * s.C, threads, plane =>
        {
            float* xp = (float*)xs + (long)plane * s.H * s.W, yp = (float*)ys + (long)plane * p * q;
            for (int oh = 0; oh < p; oh++)
            {
                int h0 = oh * s.StrideH - s.PadH, h1 = Math.Min(h0 + s.R, s.H);
                h0 = Math.Max(h0, 0);
                for (int ow = 0; ow < q; ow++)
                {
                    int w0 = ow * s.StrideW - s.PadW, w1 = Math.Min(w0 + s.S, s.W);
                    w0 = Math.Max(w0, 0);
                    float m = float.NegativeInfinity;
                    for (int h = h0; h < h1; h++)
                        for (int w = w0; w < w1; w++)
                        {
                            float v = xp[h * s.W + w];
                            // NaN propagates, as in torch.
                            if (v > m || float.IsNaN(v)) m = v;
                        }
                    yp[oh * q + ow] = m;
                }
            }
        });
    }

    public static void Average(Pool2dShape s, float* x, float* y, int threads)
    {
        nint xs = (nint)x, ys = (nint)y;
        int p = s.P, q = s.Q;
        CpuParallel.For(s.N * s.C, threads, plane =>
        {
            float* xp = (float*)xs + (long)plane * s.H * s.W, yp = (float*)ys + (long)plane * p * q;
            for (int oh = 0; oh < p; oh++)
            {
                int hs = oh * s.StrideH - s.PadH;
                int h0 = Math.Max(hs, 0), h1 = Math.Min(hs + s.R, s.H);
                for (int ow = 0; ow < q; ow++)
                {
                    int ws = ow * s.StrideW - s.PadW;
                    int w0 = Math.Max(ws, 0), w1 = Math.Min(ws + s.S, s.W);
                    float sum = 0f;
                    for (int h = h0; h < h1; h++)
                        for (int w = w0; w < w1; w++) sum += xp[h * s.W + w];
                    // Floor-mode windows never pass the padded edge, so the padded count is always R·S.
                    int count = s.CountIncludePad ? s.R * s.S : (h1 - h0) * (w1 - w0);
                    yp[oh * q + ow] = sum / count;
                }
            }
        });
    }

    public static void GlobalAverage(ChannelShape s, float* x, float* y, int threads)
    {
        nint xs = (nint)x, ys = (nint)y;
        long spatial = s.Spatial;
        CpuParallel.For(s.N * s.C, threads, plane =>
        {
            float* xp = (float*)xs + plane * spatial;
            var acc = Vector256<float>.Zero;
            long i = 0;
            for (; i + 8 <= spatial; i += 8) acc += Avx.LoadVector256(xp + i);
            float sum = Vector256.Sum(acc);
            for (; i < spatial; i++) sum += xp[i];
            ((float*)ys)[plane] = sum / spatial;
        });
    }
}
