namespace Ompq.Kernels.Cpu;

/// <summary>
/// Convolution as GEMM: per (image, group), y[Kg × P·Q] = W_g[Kg × Cg·R·S] · B[Cg·R·S × P·Q], where B is
/// packed on the fly from the input (<see cref="ConvB"/>), or is the NCHW input itself for 1×1 stride-1
/// unpadded convolutions. Bias, activation and fake quant are fused into the tile stores.
/// Depthwise convolutions go to their own direct kernel.
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
        int plane = s.P * s.Q, cg = s.CPerGroup, kg = s.KPerGroup;
        int depth = cg * s.R * s.S;
        float* input = x + ((long)image * s.C + (long)group * cg) * s.H * s.W;
        float* output = y + ((long)image * s.K + (long)group * kg) * plane;
        var weights = new DenseA(w + (long)group * kg * depth, depth, false, 1f);
        var store = new RowEpilogue(bias != null ? bias + group * kg : null, epilogue);
        bool pointwise = s.R == 1 && s.S == 1 && s.StrideH == 1 && s.StrideW == 1 && s.PadH == 0 && s.PadW == 0;
        if (pointwise)
            Gemm.Run(kg, plane, depth, weights, new DenseB(input, plane, false), 0f, output, plane, store, threads);
        else
            Gemm.Run(kg, plane, depth, weights, new ConvB(input, s), 0f, output, plane, store, threads);
    }
}
