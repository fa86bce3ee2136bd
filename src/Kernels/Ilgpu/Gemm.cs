using ILGPU;
using ILGPU.Runtime;

namespace Ompq.Kernels.Ilgpu;

/// <summary>Scalar arguments of the tiled GEMM kernel.</summary>
internal readonly struct GemmArgs
{
    public readonly int M, N, K;
    public readonly int TransA, TransB;
    public readonly float Alpha, Beta;
    /// <summary>0: no bias, 1: bias[col] (nn.Linear), 2: bias[row].</summary>
    public readonly int BiasMode;
    public readonly EpilogueArgs Epilogue;

    public GemmArgs(int m, int n, int k, bool transA, bool transB, float alpha, float beta, int biasMode, EpilogueArgs epilogue)
    {
        M = m; N = n; K = k;
        TransA = transA ? 1 : 0; TransB = transB ? 1 : 0;
        Alpha = alpha; Beta = beta;
        BiasMode = biasMode;
        Epilogue = epilogue;
    }
}

/// <summary>
/// C = epilogue(alpha·op(A)·op(B) + beta·C + bias). One group of 16×16 threads computes a 64×64 block of C; each
/// thread owns a 4×4 register block at rows ty + 16i, columns tx + 16j, so the shared-memory reads of a warp are
/// broadcasts (A) or consecutive (B) and the stores to C are coalesced. K advances in slices of 16 staged through
/// shared memory (row stride 65 against bank conflicts on the transposing stores). Edge tiles load zeros and
/// guard their stores.
/// </summary>
internal static class GemmKernels
{
    public const int Tile = 64;
    public const int TileK = 16;
    public const int Threads = 256;
    public const int SharedStride = Tile + 1;

    public static void Tiled(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias, GemmArgs p)
    {
        var tileA = SharedMemory.Allocate<float>(TileK * SharedStride);
        var tileB = SharedMemory.Allocate<float>(TileK * SharedStride);
        int thread = Group.IdxX;
        int tx = thread % 16;
        int ty = thread / 16;
        int rowBase = Grid.IdxY * Tile;
        int colBase = Grid.IdxX * Tile;

        float c00 = 0, c01 = 0, c02 = 0, c03 = 0;
        float c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0;
        float c30 = 0, c31 = 0, c32 = 0, c33 = 0;

        for (int k0 = 0; k0 < p.K; k0 += TileK)
        {
            for (int j = 0; j < 4; j++)
            {
                // A: consecutive threads read consecutive addresses of whichever layout A is stored in.
                int am, ak;
                if (p.TransA == 0) { am = thread / TileK + 16 * j; ak = thread % TileK; }
                else { ak = thread / Tile + 4 * j; am = thread % Tile; }
                int gm = rowBase + am, gka = k0 + ak;
                float va = 0;
                if (gm < p.M && gka < p.K)
                    va = p.TransA == 0 ? a[(long)gm * p.K + gka] : a[(long)gka * p.M + gm];
                tileA[ak * SharedStride + am] = va;

                int bn, bk;
                if (p.TransB == 0) { bk = thread / Tile + 4 * j; bn = thread % Tile; }
                else { bn = thread / TileK + 16 * j; bk = thread % TileK; }
                int gn = colBase + bn, gkb = k0 + bk;
                float vb = 0;
                if (gn < p.N && gkb < p.K)
                    vb = p.TransB == 0 ? b[(long)gkb * p.N + gn] : b[(long)gn * p.K + gkb];
                tileB[bk * SharedStride + bn] = vb;
            }
            Group.Barrier();

            for (int kk = 0; kk < TileK; kk++)
            {
                int row = kk * SharedStride;
                float a0 = tileA[row + ty], a1 = tileA[row + ty + 16], a2 = tileA[row + ty + 32], a3 = tileA[row + ty + 48];
                float b0 = tileB[row + tx], b1 = tileB[row + tx + 16], b2 = tileB[row + tx + 32], b3 = tileB[row + tx + 48];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Group.Barrier();
        }

        int r0 = rowBase + ty, q0 = colBase + tx;
        Store(c, bias, p, r0, q0, c00); Store(c, bias, p, r0, q0 + 16, c01); Store(c, bias, p, r0, q0 + 32, c02); Store(c, bias, p, r0, q0 + 48, c03);
        Store(c, bias, p, r0 + 16, q0, c10); Store(c, bias, p, r0 + 16, q0 + 16, c11); Store(c, bias, p, r0 + 16, q0 + 32, c12); Store(c, bias, p, r0 + 16, q0 + 48, c13);
        Store(c, bias, p, r0 + 32, q0, c20); Store(c, bias, p, r0 + 32, q0 + 16, c21); Store(c, bias, p, r0 + 32, q0 + 32, c22); Store(c, bias, p, r0 + 32, q0 + 48, c23);
        Store(c, bias, p, r0 + 48, q0, c30); Store(c, bias, p, r0 + 48, q0 + 16, c31); Store(c, bias, p, r0 + 48, q0 + 32, c32); Store(c, bias, p, r0 + 48, q0 + 48, c33);
    }

    private static void Store(ArrayView<float> c, ArrayView<float> bias, GemmArgs p, int row, int col, float sum)
    {
        if (row >= p.M || col >= p.N) return;
        long index = (long)row * p.N + col;
        float value = p.Alpha * sum;
        if (p.Beta != 0f) value += p.Beta * c[index];
        if (p.BiasMode == 1) value += bias[col];
        else if (p.BiasMode == 2) value += bias[row];
        c[index] = EpilogueArgs.Apply(p.Epilogue, value);
    }
}

/// <summary>Launches <see cref="GemmKernels.Tiled"/> for GEMM and nn.Linear; owns the grid shape and the argument checks.</summary>
internal sealed class GemmLauncher
{
    private readonly IlgpuKernels _owner;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs> _tiled;

    public GemmLauncher(IlgpuKernels owner)
    {
        _owner = owner;
        _tiled = owner.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs>(GemmKernels.Tiled);
    }

    public void Gemm(in GemmShape shape, BufferSlice a, BufferSlice b, BufferSlice c)
    {
        shape.Validate();
        a.Require(shape.ASize, "a");
        b.Require(shape.BSize, "b");
        c.Require(shape.CSize, "c");
        var args = new GemmArgs(shape.M, shape.N, shape.K, shape.TransA, shape.TransB, shape.Alpha, shape.Beta, 0, default);
        Launch(args, _owner.View(a, "a"), _owner.View(b, "b"), _owner.View(c, "c"), _owner.Dummy);
    }

    public void Linear(in LinearShape shape, BufferSlice x, BufferSlice weight, BufferSlice? bias, BufferSlice y, in Epilogue epilogue)
    {
        shape.Validate();
        x.Require((long)shape.Batch * shape.In, "x");
        weight.Require((long)shape.Out * shape.In, "weight");
        bias?.Require(shape.Out, "bias");
        y.Require((long)shape.Batch * shape.Out, "y");
        var args = new GemmArgs(shape.Batch, shape.Out, shape.In, false, true, 1f, 0f, bias is null ? 0 : 1, EpilogueArgs.From(epilogue));
        var biasView = bias is { } bs ? _owner.View(bs, "bias") : _owner.Dummy;
        Launch(args, _owner.View(x, "x"), _owner.View(weight, "weight"), _owner.View(y, "y"), biasView);
    }

    private void Launch(GemmArgs args, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias)
    {
        var grid = new Index2D(Ceil(args.N, GemmKernels.Tile), Ceil(args.M, GemmKernels.Tile));
        var config = new KernelConfig(grid, new Index2D(GemmKernels.Threads, 1));
        _tiled(config, a, b, c, bias, args);
    }

    private static int Ceil(int value, int divisor) => (value + divisor - 1) / divisor;
}
