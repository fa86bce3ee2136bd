namespace Ompq.Kernels.Cpu;

/// <summary>
/// Convolution as GEMM: per (image, group), y[Kg × P·Q] = W_g[Kg × Cg·R·S] · B[Cg·R·S × P·Q], where B is
/// packed on the fly from the input (<see cref="ConvB"/>), or is the NCHW input itself for 1×1 stride-1
/// unpadded convolutions. Bias, activation and fake quant are fused into the tile stores.
/// Depthwise convolutions go to their own direct kernel, 3×3 stride-1 layers to <see cref="WinogradConv"/> where it wins
/// (<see cref="WinogradConv.Applies"/>: on AVX-512 32+ channels on planes up to 32 wide, else 256+ channels, or 64+ on
/// planes of 14×14 and more),
/// and on AVX-512 stride-1 windows with reductions of at most one AVX2 GEMM slice (<see cref="GemmBlocking.KC"/>) to
/// <see cref="StrideOneConv"/>. The portable path runs the same GEMM
/// route with its own micro-kernel and element-wise packing, and its own depthwise kernel.
/// </summary>
internal static unsafe class Conv2d
{
    /// <summary>Output planes smaller than this are batched over images into one GEMM per group.</summary>
    private const int BatchBelowPixels = 1024;

    /// <summary>The deepest reduction (C·R·S) the direct stride-1 kernel was measured to win at against the packed GEMM.</summary>
    private const int StrideOneMaxReduction = 256;

    public static void Forward(in Conv2dShape shape, float* x, float* w, float* bias, float* y, Epilogue epilogue, int threads, CpuIsa isa)
    {
        var s = shape;
        if (s.IsDepthwise)
        {
            if (isa.HasAvx2()) DepthwiseConv2d.Forward(s, x, w, bias, y, epilogue, threads, isa);
            else PortableDepthwise.Forward(s, x, w, bias, y, epilogue, threads);
            return;
        }
        if (WinogradConv.Applies(s, isa))
        {
            WinogradConv.Forward(s, x, w, bias, y, epilogue, threads, isa);
            return;
        }
        // With 512-bit vectors the direct kernel outruns the GEMM's packing on windows (1×1 windows have nothing to pack;
        // measured against the AVX2 GEMM, before the 512-bit one existed, for reductions up to 256). Only for reductions of
        // one AVX2 GEMM slice: there both sum every output in the same order, so those layers stay bit-identical to the AVX2 path.
        int reduction = s.CPerGroup * s.R * s.S;
        if (isa == CpuIsa.Avx512 && s.R * s.S > 1 && reduction <= Math.Min(StrideOneMaxReduction, GemmBlocking.For(CpuIsa.Avx2).KC)
            && StrideOneConv.Applies(s))
        {
            StrideOneConv.Run(s, x, w, false, bias, epilogue, y, threads, isa);
            return;
        }
        int items = s.N * s.Groups;
        bool parallelItems = items >= threads;
        int gemmThreads = parallelItems ? 1 : threads;
        // Weights are packed once here and shared: per image they would cost as much as a deep layer's GEMM.
        int kg = s.KPerGroup, depth = s.CPerGroup * s.R * s.S;
        float* packed = ThreadScratch.Get(ThreadScratch.SharedOperand, PrePackedA.Size(kg, depth, isa) * s.Groups);
        var weights = ConvWeights.Pack(w, s.Groups, kg, depth, packed, threads, isa);
        nint xs = (nint)x, bs = (nint)bias, ys = (nint)y;
        int pixels = s.P * s.Q;
        if (pixels < BatchBelowPixels && s.InputSize < int.MaxValue / 2)
        {
            // Small planes leave the last column panel of each image mostly empty: run all images as one GEMM.
            for (int g = 0; g < s.Groups; g++)
            {
                float* input = x + (long)g * s.CPerGroup * s.H * s.W;
                var output = new ImagesC(y + (long)g * kg * pixels, pixels, (long)s.K * pixels);
                var store = new RowEpilogue(bias != null ? bias + g * kg : null, epilogue, isa);
                if (IsPointwise(s))
                    Gemm.Run(kg, s.N * pixels, depth, weights[g], new PointwiseImagesB(input, pixels, (long)s.C * s.H * s.W), 0f, output, store, threads, isa);
                else
                    Gemm.Run(kg, s.N * pixels, depth, weights[g], new ConvB(input, s, s.C * s.H * s.W, isa), 0f, output, store, threads, isa);
            }
            return;
        }
        CpuParallel.For(items, parallelItems ? threads : 1, item =>
            Item(s, item / s.Groups, item % s.Groups, (float*)xs, weights[item % s.Groups], (float*)bs, (float*)ys, epilogue, gemmThreads, isa));
    }

    private static void Item(in Conv2dShape s, int image, int group, float* x, PrePackedA weights, float* bias, float* y, Epilogue epilogue, int threads,
        CpuIsa isa)
    {
        int plane = s.P * s.Q, cg = s.CPerGroup, kg = s.KPerGroup;
        int depth = cg * s.R * s.S;
        float* input = x + ((long)image * s.C + (long)group * cg) * s.H * s.W;
        float* output = y + ((long)image * s.K + (long)group * kg) * plane;
        var store = new RowEpilogue(bias != null ? bias + group * kg : null, epilogue, isa);
        var target = new DenseC(output, plane);
        if (IsPointwise(s))
            Gemm.Run(kg, plane, depth, weights, new DenseB(input, plane, false, isa), 0f, target, store, threads, isa);
        else
            Gemm.Run(kg, plane, depth, weights, new ConvB(input, s, 0, isa), 0f, target, store, threads, isa);
    }

    /// <summary>1×1, stride 1, no padding: the columns are the input's own pixels (with dilation irrelevant for a 1×1 window).</summary>
    private static bool IsPointwise(in Conv2dShape s) => s.R == 1 && s.S == 1 && s.StrideH == 1 && s.StrideW == 1 && s.PadH == 0 && s.PadW == 0;
}
