using ILGPU;
using ILGPU.Runtime;

namespace Ompq.Kernels.Ilgpu;

/// <summary>
/// Direct convolution for groups of one input channel (depthwise, with any channel multiplier): one thread per
/// output element, consecutive threads along the output row so input reads coalesce and the R×S window reuse is
/// served by the cache. A GEMM tile would waste all but one row here. Bias and epilogue are fused into the store.
/// </summary>
internal static class DepthwiseConv2dKernels
{
    public static void Direct(Index1D index, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> y, ConvArgs p)
    {
        int ow = index % p.Q;
        int rest = index / p.Q;
        int oh = rest % p.P;
        rest /= p.P;
        int k = rest % p.K;
        int n = rest / p.K;
        int c = k / p.KPerGroup;

        long plane = ((long)n * p.C + c) * p.H * p.W;
        long wBase = (long)k * p.Rs;
        int ih0 = oh * p.StrideH - p.PadH;
        int iw0 = ow * p.StrideW - p.PadW;
        float sum = 0;
        for (int r = 0; r < p.R; r++)
        {
            int ih = ih0 + r * p.DilationH;
            if (ih < 0 || ih >= p.H) continue;
            long rowBase = plane + (long)ih * p.W;
            for (int s = 0; s < p.S; s++)
            {
                int iw = iw0 + s * p.DilationW;
                if (iw >= 0 && iw < p.W) sum += x[rowBase + iw] * w[wBase + r * p.S + s];
            }
        }
        if (p.HasBias != 0) sum += bias[k];
        y[index] = EpilogueArgs.Apply(p.Epilogue, sum);
    }
}

/// <summary>Launches <see cref="DepthwiseConv2dKernels.Direct"/>; the arguments are checked by <see cref="Conv2dLauncher"/>.</summary>
internal sealed class DepthwiseConv2dLauncher
{
    private readonly IlgpuKernels _owner;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvArgs> _direct;

    public DepthwiseConv2dLauncher(IlgpuKernels owner)
    {
        _owner = owner;
        _direct = owner.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvArgs>(DepthwiseConv2dKernels.Direct);
    }

    public void Launch(ConvArgs args, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> y)
        => _direct(args.Npq * args.K, x, w, bias, y, args);
}
