using ILGPU;
using ILGPU.Runtime;

namespace Ompq.Kernels.Ilgpu;

/// <summary>
/// Convolution gradients as gathers, one thread per gradient element, each summing its own reduction in a fixed
/// order (deterministic, no atomics). dx[n,c,h,w] sums dy[n,k,p,q]·w[k,c,r,s] over the taps (r,s) that reach an
/// output position and the group's output channels k; dw[k,c,r,s] sums x·dy over the batch and output positions.
/// Simple, not fast: the GPU design to replace them is the implicit GEMM of <see cref="Conv2dKernels"/> with the
/// operands swapped (dx: dy gathered against the transposed, flipped weight; dw: x gathered against dy with the
/// batch·pixels dimension as K, split over groups and summed by a second pass in fixed order).
/// </summary>
internal static class Conv2dBackwardKernels
{
    public static void Data(Index1D index, ArrayView<float> dy, ArrayView<float> weight, ArrayView<float> dx, ConvArgs p)
    {
        int w = index % p.W;
        int h = index / p.W % p.H;
        int c = index / p.W / p.H % p.C;
        int n = index / p.W / p.H / p.C;
        int group = c / p.CPerGroup;
        int channelInGroup = c - group * p.CPerGroup;
        int firstK = group * p.KPerGroup;
        float sum = 0;
        for (int r = 0; r < p.R; r++)
        {
            // Output row p0 reads input row p0·strideH − padH + r·dilationH; only rows that land exactly on h count.
            int rowOffset = h + p.PadH - r * p.DilationH;
            if (rowOffset < 0) break;
            if (rowOffset % p.StrideH != 0) continue;
            int outRow = rowOffset / p.StrideH;
            if (outRow >= p.P) continue;
            for (int s = 0; s < p.S; s++)
            {
                int colOffset = w + p.PadW - s * p.DilationW;
                if (colOffset < 0) break;
                if (colOffset % p.StrideW != 0) continue;
                int outCol = colOffset / p.StrideW;
                if (outCol >= p.Q) continue;
                for (int kInGroup = 0; kInGroup < p.KPerGroup; kInGroup++)
                {
                    int k = firstK + kInGroup;
                    float gradient = dy[((n * p.K + k) * p.P + outRow) * p.Q + outCol];
                    float tap = weight[((k * p.CPerGroup + channelInGroup) * p.R + r) * p.S + s];
                    sum += gradient * tap;
                }
            }
        }
        dx[index] = sum;
    }

    public static void Weight(Index1D index, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dw, ConvArgs p)
    {
        int s = index % p.S;
        int r = index / p.S % p.R;
        int channelInGroup = index / p.Rs % p.CPerGroup;
        int k = index / p.Crs;
        int c = k / p.KPerGroup * p.CPerGroup + channelInGroup;
        float sum = 0;
        for (int n = 0; n < p.N; n++)
        {
            int xPlane = (n * p.C + c) * p.H;
            int dyPlane = (n * p.K + k) * p.P;
            for (int outRow = 0; outRow < p.P; outRow++)
            {
                int h = outRow * p.StrideH - p.PadH + r * p.DilationH;
                if (h < 0 || h >= p.H) continue;
                for (int outCol = 0; outCol < p.Q; outCol++)
                {
                    int w = outCol * p.StrideW - p.PadW + s * p.DilationW;
                    if (w < 0 || w >= p.W) continue;
                    sum += x[(xPlane + h) * p.W + w] * dy[(dyPlane + outRow) * p.Q + outCol];
                }
            }
        }
        dw[index] = sum;
    }
}

internal sealed class Conv2dBackwardLauncher
{
    private readonly IlgpuKernels _owner;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvArgs> _data;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvArgs> _weight;

    public Conv2dBackwardLauncher(IlgpuKernels owner)
    {
        _owner = owner;
        var accelerator = owner.Accelerator;
        _data = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvArgs>(Conv2dBackwardKernels.Data);
        _weight = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvArgs>(Conv2dBackwardKernels.Weight);
    }

    public void BackwardData(in Conv2dShape shape, BufferSlice dy, BufferSlice weight, BufferSlice dx)
    {
        TrainingArguments.Conv2dBackwardData(shape, dy, weight, dx);
        CheckLaunchSize(shape);
        _data((int)shape.InputSize, _owner.View(dy, "dy"), _owner.View(weight, "weight"), _owner.View(dx, "dx"), new ConvArgs(shape, false, default));
    }

    public void BackwardWeight(in Conv2dShape shape, BufferSlice x, BufferSlice dy, BufferSlice dw)
    {
        TrainingArguments.Conv2dBackwardWeight(shape, x, dy, dw);
        CheckLaunchSize(shape);
        _weight((int)shape.WeightSize, _owner.View(x, "x"), _owner.View(dy, "dy"), _owner.View(dw, "dw"), new ConvArgs(shape, false, default));
    }

    /// <summary>The kernels index with 32-bit integers, so every tensor of the convolution must fit one launch.</summary>
    private static void CheckLaunchSize(in Conv2dShape shape)
    {
        if (shape.InputSize > int.MaxValue || shape.OutputSize > int.MaxValue || shape.WeightSize > int.MaxValue)
            throw new KernelArgumentException($"conv2d tensors are too large for one launch: {shape}");
    }
}
