using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Ompq.Kernels.Ilgpu;

/// <summary>
/// Pooling gradients as gathers: one thread per input element sums, in output order, the dy of every window that
/// covers it (no scatter, so no atomics and a fixed order). Max pooling re-scans each covering window to find its
/// winner exactly as the forward does (first maximum in row-major order, a NaN wins) instead of storing indices.
/// </summary>
internal static class PoolingBackwardKernels
{
    public static void Max(Index1D index, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dx, PoolArgs p)
    {
        int w = index % p.W;
        int h = index / p.W % p.H;
        int plane = index / p.W / p.H;
        long planeBase = (long)plane * p.H * p.W;
        long dyPlane = (long)plane * p.P * p.Q;
        int self = h * p.W + w;
        float sum = 0;
        for (int oh = FirstCovering(h, p.PadH, p.R, p.StrideH); oh <= LastCovering(h, p.PadH, p.StrideH, p.P); oh++)
        {
            int h0 = oh * p.StrideH - p.PadH;
            int h1 = XMath.Min(h0 + p.R, p.H);
            h0 = XMath.Max(h0, 0);
            for (int ow = FirstCovering(w, p.PadW, p.S, p.StrideW); ow <= LastCovering(w, p.PadW, p.StrideW, p.Q); ow++)
            {
                int w0 = ow * p.StrideW - p.PadW;
                int w1 = XMath.Min(w0 + p.S, p.W);
                w0 = XMath.Max(w0, 0);
                // The same scan as the forward: strictly greater replaces, so ties keep the first; a NaN replaces.
                float best = float.NegativeInfinity;
                int winner = h0 * p.W + w0;
                for (int ih = h0; ih < h1; ih++)
                {
                    for (int iw = w0; iw < w1; iw++)
                    {
                        float v = x[planeBase + ih * p.W + iw];
                        if (v > best || float.IsNaN(v))
                        {
                            best = v;
                            winner = ih * p.W + iw;
                        }
                    }
                }
                if (winner == self) sum += dy[dyPlane + oh * p.Q + ow];
            }
        }
        dx[index] = sum;
    }

    /// <summary>Each covering window passes dy / its divisor, the divisor as the forward's (see <see cref="PoolingKernels.Average"/>).</summary>
    public static void Average(Index1D index, ArrayView<float> dy, ArrayView<float> dx, PoolArgs p)
    {
        int w = index % p.W;
        int h = index / p.W % p.H;
        int plane = index / p.W / p.H;
        long dyPlane = (long)plane * p.P * p.Q;
        float sum = 0;
        for (int oh = FirstCovering(h, p.PadH, p.R, p.StrideH); oh <= LastCovering(h, p.PadH, p.StrideH, p.P); oh++)
        {
            int h0 = oh * p.StrideH - p.PadH;
            int h1 = XMath.Min(h0 + p.R, p.H + p.PadH);
            int paddedRows = h1 - h0;
            int rows = XMath.Min(h1, p.H) - XMath.Max(h0, 0);
            for (int ow = FirstCovering(w, p.PadW, p.S, p.StrideW); ow <= LastCovering(w, p.PadW, p.StrideW, p.Q); ow++)
            {
                int w0 = ow * p.StrideW - p.PadW;
                int w1 = XMath.Min(w0 + p.S, p.W + p.PadW);
                int count = p.CountIncludePad != 0 ? paddedRows * (w1 - w0) : rows * (XMath.Min(w1, p.W) - XMath.Max(w0, 0));
                sum += dy[dyPlane + oh * p.Q + ow] / count;
            }
        }
        dx[index] = sum;
    }

    /// <summary>dx = dy of the element's plane / spatial.</summary>
    public static void GlobalAverage(Index1D index, ArrayView<float> dy, ArrayView<float> dx, long spatial)
        => dx[index] = dy[index / spatial] / spatial;

    /// <summary>First output position whose window (start o·stride − pad, extent) covers input position i.</summary>
    private static int FirstCovering(int i, int pad, int extent, int stride)
    {
        int numerator = i + pad - extent + 1;
        return numerator <= 0 ? 0 : (numerator + stride - 1) / stride;
    }

    /// <summary>Last output position whose window starts at or before input position i.</summary>
    private static int LastCovering(int i, int pad, int stride, int outputs) => XMath.Min((i + pad) / stride, outputs - 1);
}

internal sealed class PoolingBackwardLauncher
{
    private readonly IlgpuKernels _owner;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, PoolArgs> _max;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, PoolArgs> _average;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, long> _globalAverage;

    public PoolingBackwardLauncher(IlgpuKernels owner)
    {
        _owner = owner;
        var accelerator = owner.Accelerator;
        _max = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, PoolArgs>(PoolingBackwardKernels.Max);
        _average = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, PoolArgs>(PoolingBackwardKernels.Average);
        _globalAverage = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, long>(PoolingBackwardKernels.GlobalAverage);
    }

    public void MaxPool2dBackward(in Pool2dShape shape, BufferSlice x, BufferSlice dy, BufferSlice dx)
    {
        TrainingArguments.MaxPool2dBackward(shape, x, dy, dx);
        int inputs = LaunchSize(shape);
        _max(inputs, _owner.View(x, "x"), _owner.View(dy, "dy"), _owner.View(dx, "dx"), new PoolArgs(shape));
    }

    public void AvgPool2dBackward(in Pool2dShape shape, BufferSlice dy, BufferSlice dx)
    {
        TrainingArguments.AvgPool2dBackward(shape, dy, dx);
        int inputs = LaunchSize(shape);
        _average(inputs, _owner.View(dy, "dy"), _owner.View(dx, "dx"), new PoolArgs(shape));
    }

    public void GlobalAvgPoolBackward(in ChannelShape shape, BufferSlice dy, BufferSlice dx)
    {
        TrainingArguments.GlobalAvgPoolBackward(shape, dy, dx);
        if (shape.Size > int.MaxValue) throw new KernelArgumentException($"global pooling gradient of {shape.Size} floats is too large for one launch");
        _globalAverage((int)shape.Size, _owner.View(dy, "dy"), _owner.View(dx, "dx"), shape.Spatial);
    }

    private static int LaunchSize(in Pool2dShape shape)
    {
        if (shape.InputSize > int.MaxValue) throw new KernelArgumentException($"pooling input is too large for one launch: {shape}");
        return (int)shape.InputSize;
    }
}
