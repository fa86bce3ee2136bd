namespace Ompq.Kernels.Cpu;

/// <summary>Depthwise convolution (groups = C = K): a direct kernel, one (image, channel) plane per work item.</summary>
internal static unsafe class DepthwiseConv2d
{
    public static void Forward(in Conv2dShape shape, float* x, float* w, float* bias, float* y, Epilogue epilogue, int threads)
    {
        var s = shape;
        int p = s.P, q = s.Q;
        nint xs = (nint)x, ws = (nint)w, bs = (nint)bias, ys = (nint)y;
        CpuParallel.For(s.N * s.C, threads, planeIndex =>
        {
            int c = planeIndex % s.C;
            float* input = (float*)xs + (long)planeIndex * s.H * s.W;
            float* output = (float*)ys + (long)planeIndex * p * q;
            float* kernel = (float*)ws + (long)c * s.R * s.S;
            for (int oh = 0; oh < p; oh++)
                for (int ow = 0; ow < q; ow++)
                {
                    float sum = 0f;
                    for (int r = 0; r < s.R; r++)
                    {
                        int h = oh * s.StrideH - s.PadH + r * s.DilationH;
                        if ((uint)h >= (uint)s.H) continue;
                        for (int t = 0; t < s.S; t++)
                        {
                            int wc = ow * s.StrideW - s.PadW + t * s.DilationW;
                            if ((uint)wc >= (uint)s.W) continue;
                            sum = MathF.FusedMultiplyAdd(input[(long)h * s.W + wc], kernel[r * s.S + t], sum);
                        }
                    }
                    output[oh * q + ow] = sum;
                }
            float b = bs != 0 ? ((float*)bs)[c] : 0f;
            if (b != 0f || !EpilogueStore.IsIdentity(epilogue)) EpilogueStore.Apply(output, (long)p * q, b, epilogue);
        });
    }
}
