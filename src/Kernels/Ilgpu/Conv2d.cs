using ILGPU;
using ILGPU.Runtime;

namespace Ompq.Kernels.Ilgpu;

/// <summary>Scalar arguments of the convolution kernels (sizes as in <see cref="Conv2dShape"/>, plus derived products).</summary>
internal readonly struct ConvArgs
{
    public readonly int N, C, H, W, K, R, S;
    public readonly int StrideH, StrideW, PadH, PadW, DilationH, DilationW;
    public readonly int P, Q, CPerGroup, KPerGroup;
    public readonly int Crs, Rs, Pq, Npq;
    public readonly int HasBias;
    public readonly EpilogueArgs Epilogue;

    public ConvArgs(in Conv2dShape s, bool hasBias, EpilogueArgs epilogue)
    {
        N = s.N; C = s.C; H = s.H; W = s.W; K = s.K; R = s.R; S = s.S;
        StrideH = s.StrideH; StrideW = s.StrideW; PadH = s.PadH; PadW = s.PadW; DilationH = s.DilationH; DilationW = s.DilationW;
        P = s.P; Q = s.Q; CPerGroup = s.CPerGroup; KPerGroup = s.KPerGroup;
        Rs = s.R * s.S;
        Crs = s.CPerGroup * Rs;
        Pq = P * Q;
        Npq = N * Pq;
        HasBias = hasBias ? 1 : 0;
        Epilogue = epilogue;
    }
}

/// <summary>
/// Where an output pixel's input window starts: the input offset of its top-left corner (which may lie in the
/// padding) and its row and column there.
/// </summary>
internal readonly struct WindowOrigin
{
    public readonly long Corner;
    public readonly int Ih0;
    public readonly int Iw0;

    public WindowOrigin(long corner, int ih0, int iw0)
    {
        Corner = corner; Ih0 = ih0; Iw0 = iw0;
    }
}

/// <summary>
/// Convolution as an implicit GEMM per group: C[k, pixel] = Σ_{c,r,s} W[k, (c,r,s)] · X[(c,r,s), pixel], where the
/// X operand is gathered on the fly from the NCHW input (zero outside the padded image), never materialised.
/// Tiles as <see cref="GemmKernels"/>: 64 output channels × 64 output pixels per group of 16×16 threads, 4×4 per
/// thread, the (c,r,s) dimension in slices of 16 through shared memory, the next slice prefetched into registers.
/// Each thread gathers the same pixel column in every slice, so its (n, p, q) decode is hoisted out of the loop;
/// consecutive threads gather consecutive pixels. The (c,r,s) decode comes from a small per-shape table (see
/// <see cref="GatherTable"/>) instead of integer divisions. Bias, activation and output fake-quant are applied at
/// the store (grid z = conv group).
/// </summary>
internal static class Conv2dKernels
{
    public const int Tile = 64;
    public const int TileK = 16;
    public const int Threads = 256;
    public const int SharedStride = Tile + 1;

    public static void ImplicitGemm(ArrayView<float> x, ArrayView<float> w, ArrayView<int> table, ArrayView<float> bias, ArrayView<float> y, ConvArgs p)
    {
        var tileW = SharedMemory.Allocate<float>(TileK * SharedStride);
        var tileX = SharedMemory.Allocate<float>(TileK * SharedStride);
        int thread = Group.IdxX;
        int tx = thread % 16;
        int ty = thread / 16;
        int pixelBase = Grid.IdxX * Tile;
        int channelBase = Grid.IdxY * Tile;
        int group = Grid.IdxZ;

        // The pixel this thread gathers in every slice.
        int gatherColumn = thread % Tile;
        int gatherRow = thread / Tile;
        var origin = GatherOrigin(p, group, pixelBase + gatherColumn);
        long wBase = (long)group * p.KPerGroup * p.Crs;

        float c00 = 0, c01 = 0, c02 = 0, c03 = 0;
        float c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0;
        float c30 = 0, c31 = 0, c32 = 0, c33 = 0;

        float w0n = LoadW(w, p, wBase, channelBase, 0, thread, 0), w1n = LoadW(w, p, wBase, channelBase, 0, thread, 1);
        float w2n = LoadW(w, p, wBase, channelBase, 0, thread, 2), w3n = LoadW(w, p, wBase, channelBase, 0, thread, 3);
        float x0n = Gather(x, table, p, origin, gatherRow), x1n = Gather(x, table, p, origin, gatherRow + 4);
        float x2n = Gather(x, table, p, origin, gatherRow + 8), x3n = Gather(x, table, p, origin, gatherRow + 12);

        for (int k0 = 0; k0 < p.Crs; k0 += TileK)
        {
            int wColumn = thread % TileK, wRow = thread / TileK;
            tileW[wColumn * SharedStride + wRow] = w0n;
            tileW[wColumn * SharedStride + wRow + 16] = w1n;
            tileW[wColumn * SharedStride + wRow + 32] = w2n;
            tileW[wColumn * SharedStride + wRow + 48] = w3n;
            tileX[gatherRow * SharedStride + gatherColumn] = x0n;
            tileX[(gatherRow + 4) * SharedStride + gatherColumn] = x1n;
            tileX[(gatherRow + 8) * SharedStride + gatherColumn] = x2n;
            tileX[(gatherRow + 12) * SharedStride + gatherColumn] = x3n;
            Group.Barrier();

            int next = k0 + TileK;
            if (next < p.Crs)
            {
                w0n = LoadW(w, p, wBase, channelBase, next, thread, 0); w1n = LoadW(w, p, wBase, channelBase, next, thread, 1);
                w2n = LoadW(w, p, wBase, channelBase, next, thread, 2); w3n = LoadW(w, p, wBase, channelBase, next, thread, 3);
                x0n = Gather(x, table, p, origin, next + gatherRow); x1n = Gather(x, table, p, origin, next + gatherRow + 4);
                x2n = Gather(x, table, p, origin, next + gatherRow + 8); x3n = Gather(x, table, p, origin, next + gatherRow + 12);
            }

            for (int kk = 0; kk < TileK; kk++)
            {
                int row = kk * SharedStride;
                float a0 = tileW[row + ty], a1 = tileW[row + ty + 16], a2 = tileW[row + ty + 32], a3 = tileW[row + ty + 48];
                float b0 = tileX[row + tx], b1 = tileX[row + tx + 16], b2 = tileX[row + tx + 32], b3 = tileX[row + tx + 48];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Group.Barrier();
        }

        int k0Out = channelBase + ty, px = pixelBase + tx;
        StoreColumn(y, bias, p, group, k0Out, px, c00, c10, c20, c30);
        StoreColumn(y, bias, p, group, k0Out, px + 16, c01, c11, c21, c31);
        StoreColumn(y, bias, p, group, k0Out, px + 32, c02, c12, c22, c32);
        StoreColumn(y, bias, p, group, k0Out, px + 48, c03, c13, c23, c33);
    }

    /// <summary>Weight rows are contiguous along (c,r,s): consecutive threads read consecutive floats of a row.</summary>
    private static float LoadW(ArrayView<float> w, ConvArgs p, long wBase, int channelBase, int k0, int thread, int j)
    {
        int m = channelBase + thread / TileK + 16 * j;
        int k = k0 + thread % TileK;
        if (m >= p.KPerGroup || k >= p.Crs) return 0f;
        return w[wBase + (long)m * p.Crs + k];
    }

    /// <summary>The input window of output pixel <paramref name="pixel"/> (n·P·Q + p·Q + q) in conv group <paramref name="group"/>.</summary>
    internal static WindowOrigin GatherOrigin(ConvArgs p, int group, int pixel)
    {
        // Out-of-range pixels gather nothing: a row origin that fails every bounds check.
        if (pixel >= p.Npq) return new WindowOrigin(0, -1 << 20, 0);
        int n = pixel / p.Pq;
        int pq = pixel - n * p.Pq;
        int oh = pq / p.Q;
        int ow = pq - oh * p.Q;
        int ih0 = oh * p.StrideH - p.PadH;
        int iw0 = ow * p.StrideW - p.PadW;
        long corner = ((long)n * p.C + (long)group * p.CPerGroup) * p.H * p.W + (long)ih0 * p.W + iw0;
        return new WindowOrigin(corner, ih0, iw0);
    }

    /// <summary>Input element (c,r,s) = <paramref name="k"/> of a window; zero in the padding and past the end.</summary>
    internal static float Gather(ArrayView<float> x, ArrayView<int> table, ConvArgs p, WindowOrigin origin, int k)
    {
        if (k >= p.Crs) return 0f;
        int packed = table[2 * k];
        int ih = origin.Ih0 + (packed >> 16);
        int iw = origin.Iw0 + (packed & 0xFFFF);
        if (ih < 0 || ih >= p.H || iw < 0 || iw >= p.W) return 0f;
        return x[origin.Corner + table[2 * k + 1]];
    }

    /// <summary>Stores the four output channels k, k+16, k+32, k+48 of one output pixel.</summary>
    internal static void StoreColumn(ArrayView<float> y, ArrayView<float> bias, ConvArgs p, int group, int k, int pixel,
        float v0, float v1, float v2, float v3)
    {
        if (pixel >= p.Npq) return;
        int n = pixel / p.Pq;
        int pq = pixel - n * p.Pq;
        long outBase = (long)n * p.K * p.Pq + pq;
        int channel0 = group * p.KPerGroup;
        StoreOne(y, bias, p, outBase, channel0, k, v0);
        StoreOne(y, bias, p, outBase, channel0, k + 16, v1);
        StoreOne(y, bias, p, outBase, channel0, k + 32, v2);
        StoreOne(y, bias, p, outBase, channel0, k + 48, v3);
    }

    private static void StoreOne(ArrayView<float> y, ArrayView<float> bias, ConvArgs p, long outBase, int channel0, int k, float sum)
    {
        if (k >= p.KPerGroup) return;
        int channel = channel0 + k;
        float value = p.HasBias != 0 ? sum + bias[channel] : sum;
        y[outBase + (long)channel * p.Pq] = EpilogueArgs.Apply(p.Epilogue, value);
    }
}

/// <summary>
/// Launches convolutions: the direct depthwise kernel when every group has one input channel
/// (<see cref="DepthwiseConv2dKernels"/>), the implicit GEMM otherwise.
/// </summary>
internal sealed class Conv2dLauncher : IDisposable
{
    private readonly IlgpuKernels _owner;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ConvArgs> _implicitGemm;
    private readonly Lazy<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ConvArgs>> _largeImplicitGemm;
    private readonly DepthwiseConv2dLauncher _depthwise;
    private readonly GatherTable _tables;

    public Conv2dLauncher(IlgpuKernels owner)
    {
        _owner = owner;
        _implicitGemm = owner.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ConvArgs>(Conv2dKernels.ImplicitGemm);
        _largeImplicitGemm = new(() => owner.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ConvArgs>(Conv2dLargeTileKernels.ImplicitGemm));
        _depthwise = new DepthwiseConv2dLauncher(owner);
        _tables = new GatherTable(owner.Accelerator);
    }

    public void Conv2d(in Conv2dShape shape, BufferSlice x, BufferSlice weight, BufferSlice? bias, BufferSlice y, in Epilogue epilogue)
    {
        shape.Validate();
        if (shape.OutputSize > int.MaxValue || (long)shape.CPerGroup * shape.R * shape.S > int.MaxValue / 2)
            throw new KernelArgumentException($"conv2d tensors are too large for one launch: {shape}");
        if ((shape.R - 1L) * shape.DilationH > GatherTable.MaxWindowOffset || (shape.S - 1L) * shape.DilationW > GatherTable.MaxWindowOffset)
            throw new KernelArgumentException($"conv2d window spans more than {GatherTable.MaxWindowOffset} pixels: {shape}");
        x.Require(shape.InputSize, "x");
        weight.Require(shape.WeightSize, "weight");
        bias?.Require(shape.K, "bias");
        y.Require(shape.OutputSize, "y");
        var args = new ConvArgs(shape, bias is not null, EpilogueArgs.From(epilogue));
        var xView = _owner.View(x, "x");
        var wView = _owner.View(weight, "weight");
        var biasView = bias is { } b ? _owner.View(b, "bias") : _owner.Dummy;
        var yView = _owner.View(y, "y");

        if (shape.CPerGroup == 1)
        {
            _depthwise.Launch(args, xView, wView, biasView, yView);
            return;
        }
        var table = _tables.For(shape);
        if (UseLargeTiles(args, shape.Groups))
        {
            var largeGrid = new Index3D(Ceil(args.Npq, Conv2dLargeTileKernels.Tile), Ceil(args.KPerGroup, Conv2dLargeTileKernels.Tile), shape.Groups);
            _largeImplicitGemm.Value(new KernelConfig(largeGrid, new Index3D(Conv2dLargeTileKernels.Threads, 1, 1)), xView, wView, table, biasView, yView, args);
            return;
        }
        var grid = new Index3D(Ceil(args.Npq, Conv2dKernels.Tile), Ceil(args.KPerGroup, Conv2dKernels.Tile), shape.Groups);
        _implicitGemm(new KernelConfig(grid, new Index3D(Conv2dKernels.Threads, 1, 1)), xView, wView, table, biasView, yView, args);
    }

    /// <summary>
    /// 128×128 tiles only pay when a group has that many output channels (else half the tile is padding) and the
    /// tiles still give every multiprocessor two groups.
    /// </summary>
    private bool UseLargeTiles(ConvArgs args, int groups) => _owner.GemmTiling switch
    {
        GemmTiling.Tile64 => false,
        GemmTiling.Tile128 => true,
        _ => args.KPerGroup >= Conv2dLargeTileKernels.Tile
             && (long)Ceil(args.Npq, Conv2dLargeTileKernels.Tile) * Ceil(args.KPerGroup, Conv2dLargeTileKernels.Tile) * groups
                >= 2L * _owner.Accelerator.NumMultiprocessors,
    };

    public void Dispose() => _tables.Dispose();

    private static int Ceil(int value, int divisor) => (value + divisor - 1) / divisor;
}
