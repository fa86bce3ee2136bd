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
/// Convolution as an implicit GEMM per group: C[k, pixel] = Σ_{c,r,s} W[k, (c,r,s)] · X[(c,r,s), pixel], where the
/// X operand is gathered on the fly from the NCHW input (zero outside the padded image), never materialised.
/// Tiles as <see cref="GemmKernels"/>: 64 output channels × 64 output pixels per group of 16×16 threads, 4×4 per
/// thread, the (c,r,s) dimension in slices of 16 through shared memory. Each thread gathers the same pixel column in
/// every slice, so its (n, p, q) decode is hoisted out of the loop; consecutive threads gather consecutive pixels.
/// Bias, activation and output fake-quant are applied at the store (grid z = conv group).
/// </summary>
internal static class Conv2dKernels
{
    public const int Tile = 64;
    public const int TileK = 16;
    public const int Threads = 256;
    public const int SharedStride = Tile + 1;

    public static void ImplicitGemm(ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> y, ConvArgs p)
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
        int gatherPixel = pixelBase + thread % Tile;
        int gatherK = thread / Tile;
        bool pixelValid = gatherPixel < p.Npq;
        int n = 0, ih0 = 0, iw0 = 0;
        if (pixelValid)
        {
            n = gatherPixel / p.Pq;
            int pq = gatherPixel - n * p.Pq;
            int oh = pq / p.Q;
            int ow = pq - oh * p.Q;
            ih0 = oh * p.StrideH - p.PadH;
            iw0 = ow * p.StrideW - p.PadW;
        }
        long xBase = ((long)n * p.C + (long)group * p.CPerGroup) * p.H * p.W;
        long wBase = (long)group * p.KPerGroup * p.Crs;

        float c00 = 0, c01 = 0, c02 = 0, c03 = 0;
        float c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0;
        float c30 = 0, c31 = 0, c32 = 0, c33 = 0;

        for (int k0 = 0; k0 < p.Crs; k0 += TileK)
        {
            for (int j = 0; j < 4; j++)
            {
                int wm = thread / TileK + 16 * j;
                int wk = thread % TileK;
                int gm = channelBase + wm, gkw = k0 + wk;
                float vw = 0;
                if (gm < p.KPerGroup && gkw < p.Crs) vw = w[wBase + (long)gm * p.Crs + gkw];
                tileW[wk * SharedStride + wm] = vw;

                int xk = gatherK + 4 * j;
                int gkx = k0 + xk;
                float vx = 0;
                if (pixelValid && gkx < p.Crs)
                {
                    int c = gkx / p.Rs;
                    int rs = gkx - c * p.Rs;
                    int r = rs / p.S;
                    int s = rs - r * p.S;
                    int ih = ih0 + r * p.DilationH;
                    int iw = iw0 + s * p.DilationW;
                    if (ih >= 0 && ih < p.H && iw >= 0 && iw < p.W)
                        vx = x[xBase + ((long)c * p.H + ih) * p.W + iw];
                }
                tileX[xk * SharedStride + thread % Tile] = vx;
            }
            Group.Barrier();

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

    /// <summary>Stores the four output channels k, k+16, k+32, k+48 of one output pixel.</summary>
    private static void StoreColumn(ArrayView<float> y, ArrayView<float> bias, ConvArgs p, int group, int k, int pixel,
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
internal sealed class Conv2dLauncher
{
    private readonly IlgpuKernels _owner;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvArgs> _implicitGemm;
    private readonly DepthwiseConv2dLauncher _depthwise;

    public Conv2dLauncher(IlgpuKernels owner)
    {
        _owner = owner;
        _implicitGemm = owner.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvArgs>(Conv2dKernels.ImplicitGemm);
        _depthwise = new DepthwiseConv2dLauncher(owner);
    }

    public void Conv2d(in Conv2dShape shape, BufferSlice x, BufferSlice weight, BufferSlice? bias, BufferSlice y, in Epilogue epilogue)
    {
        shape.Validate();
        if (shape.OutputSize > int.MaxValue || shape.InputSize > int.MaxValue * 4L)
            throw new KernelArgumentException($"conv2d tensors are too large for one launch: {shape}");
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
        var grid = new Index3D(Ceil(args.Npq, Conv2dKernels.Tile), Ceil(args.KPerGroup, Conv2dKernels.Tile), shape.Groups);
        var config = new KernelConfig(grid, new Index3D(Conv2dKernels.Threads, 1, 1));
        _implicitGemm(config, xView, wView, biasView, yView, args);
    }

    private static int Ceil(int value, int divisor) => (value + divisor - 1) / divisor;
}
