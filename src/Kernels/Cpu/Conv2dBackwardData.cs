using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// dx = ∂L/∂x of a convolution (a transposed convolution). Stride 1 (with padding at most the window's reach) is the
/// forward convolution of dy with the flipped, channel-swapped weights: the direct <see cref="StrideOneConv"/> for short
/// reductions (AVX2 and AVX-512 only), otherwise the forward kernels of the instruction set.
/// Otherwise per (image, group): the column gradient cols[Cg·R·S × P·Q] = W_gᵀ · dY_g by GEMM, then col2im adds each
/// column back onto the input pixel it was read from, in a fixed order. Either way every output element is one
/// worker's sum in an order fixed by the shape, so the result does not depend on the worker count.
/// </summary>
internal static unsafe class Conv2dBackwardData
{
    public static void Run(in Conv2dShape shape, float* dy, float* w, float* dx, int threads, CpuIsa isa)
    {
        var s = shape;
        if (FlippedForwardApplies(s))
        {
            var transposed = Transposed(s);
            if (isa.HasAvx2() && StrideOneConv.Applies(transposed))
                StrideOneConv.Run(transposed, dy, w, true, null, default, dx, threads, isa);
            else
                FlippedForward(s, transposed, dy, w, dx, threads, isa);
            return;
        }
        int items = s.N * s.Groups;
        bool parallelItems = items >= threads;
        int gemmThreads = parallelItems ? 1 : threads;
        nint dys = (nint)dy, ws = (nint)w, dxs = (nint)dx;
        CpuParallel.For(items, parallelItems ? threads : 1, item =>
            Item(s, item / s.Groups, item % s.Groups, (float*)dys, (float*)ws, (float*)dxs, gemmThreads, isa));
    }

    private static bool FlippedForwardApplies(in Conv2dShape s)
        => s.StrideH == 1 && s.StrideW == 1 && s.PadH <= s.DilationH * (s.R - 1) && s.PadW <= s.DilationW * (s.S - 1);

    /// <summary>
    /// dx = conv2d(dy, W′) with W′[g·Cg + c, k, r, s] = W[g·Kg + k, c, R−1−r, S−1−s] and padding dilation·(R−1) − pad,
    /// which gives back H×W outputs at stride 1.
    /// </summary>
    private static void FlippedForward(in Conv2dShape s, in Conv2dShape transposed, float* dy, float* w, float* dx, int threads, CpuIsa isa)
    {
        int cg = s.CPerGroup, kg = s.KPerGroup, window = s.R * s.S;
        float* flipped = ThreadScratch.Get(ThreadScratch.TransformedOperand, s.WeightSize);
        for (int g = 0; g < s.Groups; g++)
            for (int k = 0; k < kg; k++)
                for (int c = 0; c < cg; c++)
                {
                    float* src = w + ((long)(g * kg + k) * cg + c) * window;
                    float* dst = flipped + ((long)(g * cg + c) * kg + k) * window;
                    for (int t = 0; t < window; t++) dst[t] = src[window - 1 - t];
                }
        Conv2d.Forward(transposed, dy, flipped, null, dx, default, threads, isa);
    }

    /// <summary>The stride-1 convolution from dy to dx: K channels in, C out, padding dilation·(R−1) − pad.</summary>
    private static Conv2dShape Transposed(in Conv2dShape s)
        => new(s.N, s.K, s.P, s.Q, s.C, s.R, s.S, 1, 1,
            s.DilationH * (s.R - 1) - s.PadH, s.DilationW * (s.S - 1) - s.PadW, s.DilationH, s.DilationW, s.Groups);

    private static void Item(in Conv2dShape s, int image, int group, float* dy, float* w, float* dx, int threads, CpuIsa isa)
    {
        int cg = s.CPerGroup, kg = s.KPerGroup, taps = cg * s.R * s.S, pixels = s.P * s.Q;
        float* columns = ThreadScratch.Get(0, (long)taps * pixels);
        Gemm.Run(taps, pixels, kg, 1f, w + (long)group * kg * taps, taps, true,
            dy + ((long)image * s.K + (long)group * kg) * pixels, pixels, false, 0f, columns, pixels, threads, isa);
        float* input = dx + ((long)image * s.C + (long)group * cg) * s.H * s.W;
        new Span<float>(input, checked(cg * s.H * s.W)).Clear();
        ColumnsToImage(s, columns, input, isa.HasAvx2());
    }

    /// <summary>input[c, oh·sh + r·dh − ph, ow·sw + s·dw − pw] += columns[(c, r, s), (oh, ow)] for every in-bounds target.</summary>
    private static void ColumnsToImage(in Conv2dShape s, float* columns, float* input, bool simd)
    {
        int h = s.H, w = s.W, p = s.P, q = s.Q, sw = s.StrideW;
        for (int c = 0; c < s.CPerGroup; c++)
        {
            float* plane = input + (long)c * h * w;
            for (int r = 0; r < s.R; r++)
                for (int t = 0; t < s.S; t++, columns += p * q)
                {
                    int dh = r * s.DilationH - s.PadH, dw = t * s.DilationW - s.PadW;
                    // Output columns whose input column ow·sw + dw lies in [0, w).
                    int first = Math.Max(0, CeilDiv(-dw, sw)), end = Math.Min(q, FloorDiv(w - 1 - dw, sw) + 1);
                    if (first >= end) continue;
                    for (int oh = 0; oh < p; oh++)
                    {
                        int ih = oh * s.StrideH + dh;
                        if ((uint)ih >= (uint)h) continue;
                        float* src = columns + oh * q + first;
                        float* dst = plane + (long)ih * w + first * sw + dw;
                        int count = end - first;
                        if (sw == 1) AddInPlace(dst, src, count, simd);
                        else
                            for (int i = 0; i < count; i++) dst[i * sw] += src[i];
                    }
                }
        }
    }

    private static void AddInPlace(float* dst, float* src, int count, bool simd)
    {
        int i = 0;
        if (simd)
            for (; i + 8 <= count; i += 8) Avx.Store(dst + i, Avx.LoadVector256(dst + i) + Avx.LoadVector256(src + i));
        for (; i < count; i++) dst[i] += src[i];
    }

    private static int CeilDiv(int a, int b) => a >= 0 ? (a + b - 1) / b : -(-a / b);

    private static int FloorDiv(int a, int b) => a >= 0 ? a / b : -((-a + b - 1) / b);
}
