using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Ompq.Kernels.Ilgpu;

internal readonly struct PoolArgs
{
    public readonly int C, H, W, R, S, StrideH, StrideW, PadH, PadW, P, Q, CountIncludePad;

    public PoolArgs(in Pool2dShape s)
    {
        C = s.C; H = s.H; W = s.W; R = s.R; S = s.S;
        StrideH = s.StrideH; StrideW = s.StrideW; PadH = s.PadH; PadW = s.PadW;
        P = s.P; Q = s.Q; CountIncludePad = s.CountIncludePad ? 1 : 0;
    }
}

/// <summary>
/// Window pooling as one thread per output element (consecutive threads along the output row); global average
/// pooling as one group per (n, c) plane with a shared-memory tree reduction, or one thread per plane when the
/// planes are small.
/// </summary>
internal static class PoolingKernels
{
    public static void Max(Index1D index, ArrayView<float> x, ArrayView<float> y, PoolArgs p)
    {
        int ow = index % p.Q;
        int plane = index / p.Q / p.P;
        int oh = index / p.Q % p.P;
        int h0 = oh * p.StrideH - p.PadH, w0 = ow * p.StrideW - p.PadW;
        int h1 = XMath.Min(h0 + p.R, p.H), w1 = XMath.Min(w0 + p.S, p.W);
        h0 = XMath.Max(h0, 0);
        w0 = XMath.Max(w0, 0);
        long planeBase = (long)plane * p.H * p.W;
        float best = float.NegativeInfinity;
        for (int h = h0; h < h1; h++)
        {
            for (int w = w0; w < w1; w++)
            {
                // A NaN in the window wins and stays, as in torch.max_pool2d.
                float v = x[planeBase + (long)h * p.W + w];
                if (v > best || float.IsNaN(v)) best = v;
            }
        }
        y[index] = best;
    }

    /// <summary>Divisor as PyTorch: the window clipped to the padded image, or only its in-image part.</summary>
    public static void Average(Index1D index, ArrayView<float> x, ArrayView<float> y, PoolArgs p)
    {
        int ow = index % p.Q;
        int plane = index / p.Q / p.P;
        int oh = index / p.Q % p.P;
        int h0 = oh * p.StrideH - p.PadH, w0 = ow * p.StrideW - p.PadW;
        int h1 = XMath.Min(h0 + p.R, p.H + p.PadH), w1 = XMath.Min(w0 + p.S, p.W + p.PadW);
        int paddedCount = (h1 - h0) * (w1 - w0);
        h0 = XMath.Max(h0, 0);
        w0 = XMath.Max(w0, 0);
        h1 = XMath.Min(h1, p.H);
        w1 = XMath.Min(w1, p.W);
        long planeBase = (long)plane * p.H * p.W;
        float sum = 0;
        for (int h = h0; h < h1; h++)
            for (int w = w0; w < w1; w++)
                sum += x[planeBase + (long)h * p.W + w];
        int count = p.CountIncludePad != 0 ? paddedCount : (h1 - h0) * (w1 - w0);
        y[index] = sum / count;
    }

    /// <summary>Small planes (7×7 before a classifier): one thread per plane, a group would idle most lanes.</summary>
    public static void GlobalAverageSmall(Index1D plane, ArrayView<float> x, ArrayView<float> y, int spatial)
    {
        long planeBase = (long)plane.X * spatial;
        float sum = 0;
        for (int i = 0; i < spatial; i++) sum += x[planeBase + i];
        y[plane] = sum / spatial;
    }

    /// <summary>Large planes: grid x = plane index (n·C + c); the group strides over the plane and reduces.</summary>
    public static void GlobalAverage(ArrayView<float> x, ArrayView<float> y, long spatial)
    {
        var shared = SharedMemory.Allocate<float>(GroupReduce.Threads);
        int thread = Group.IdxX;
        long plane = Grid.IdxX;
        long planeBase = plane * spatial;
        float sum = 0;
        for (long i = thread; i < spatial; i += GroupReduce.Threads) sum += x[planeBase + i];
        float total = GroupReduce.Sum(shared, thread, sum);
        if (thread == 0) y[plane] = total / spatial;
    }
}

internal sealed class PoolingLauncher
{
    private readonly IlgpuKernels _owner;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, PoolArgs> _max;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, PoolArgs> _average;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, long> _globalAverage;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int> _globalAverageSmall;

    /// <summary>Planes up to this size are summed by one thread each.</summary>
    internal const int SmallPlane = 256;

    public PoolingLauncher(IlgpuKernels owner)
    {
        _owner = owner;
        var accelerator = owner.Accelerator;
        _max = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, PoolArgs>(PoolingKernels.Max);
        _average = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, PoolArgs>(PoolingKernels.Average);
        _globalAverage = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, long>(PoolingKernels.GlobalAverage);
        _globalAverageSmall = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(PoolingKernels.GlobalAverageSmall);
    }

    public void MaxPool2d(in Pool2dShape shape, BufferSlice x, BufferSlice y)
    {
        int outputs = Check(shape, x, y);
        _max(outputs, _owner.View(x, "x"), _owner.View(y, "y"), new PoolArgs(shape));
    }

    public void AvgPool2d(in Pool2dShape shape, BufferSlice x, BufferSlice y)
    {
        int outputs = Check(shape, x, y);
        _average(outputs, _owner.View(x, "x"), _owner.View(y, "y"), new PoolArgs(shape));
    }

    public void GlobalAvgPool(in ChannelShape shape, BufferSlice x, BufferSlice y)
    {
        shape.Validate();
        long planes = (long)shape.N * shape.C;
        if (planes > int.MaxValue) throw new KernelArgumentException($"global pooling over {planes} planes is too large for one launch");
        x.Require(planes * shape.Spatial, "x");
        y.Require(planes, "y");
        if (shape.Spatial <= SmallPlane)
        {
            _globalAverageSmall((int)planes, _owner.View(x, "x"), _owner.View(y, "y"), (int)shape.Spatial);
            return;
        }
        var config = new KernelConfig((int)planes, GroupReduce.Threads);
        _globalAverage(config, _owner.View(x, "x"), _owner.View(y, "y"), shape.Spatial);
    }

    private static int Check(in Pool2dShape shape, BufferSlice x, BufferSlice y)
    {
        shape.Validate();
        if (shape.OutputSize > int.MaxValue) throw new KernelArgumentException($"pooling output is too large for one launch: {shape}");
        x.Require(shape.InputSize, "x");
        y.Require(shape.OutputSize, "y");
        return (int)shape.OutputSize;
    }
}
