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
/// shared memory (row stride 65 against bank conflicts on the transposing stores); the next slice is fetched into
/// registers while the current one is multiplied. Edge tiles load zeros and guard their stores.
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

        // Registers hold the next slice while the current one is multiplied, hiding global-memory latency.
        float a0n = LoadA(a, p, rowBase, 0, thread, 0), a1n = LoadA(a, p, rowBase, 0, thread, 1);
        float a2n = LoadA(a, p, rowBase, 0, thread, 2), a3n = LoadA(a, p, rowBase, 0, thread, 3);
        float b0n = LoadB(b, p, colBase, 0, thread, 0), b1n = LoadB(b, p, colBase, 0, thread, 1);
        float b2n = LoadB(b, p, colBase, 0, thread, 2), b3n = LoadB(b, p, colBase, 0, thread, 3);

        int sa0 = SlotA(p, thread, 0), sa1 = SlotA(p, thread, 1), sa2 = SlotA(p, thread, 2), sa3 = SlotA(p, thread, 3);
        int sb0 = SlotB(p, thread, 0), sb1 = SlotB(p, thread, 1), sb2 = SlotB(p, thread, 2), sb3 = SlotB(p, thread, 3);
        for (int k0 = 0; k0 < p.K; k0 += TileK)
        {
            tileA[sa0] = a0n; tileA[sa1] = a1n; tileA[sa2] = a2n; tileA[sa3] = a3n;
            tileB[sb0] = b0n; tileB[sb1] = b1n; tileB[sb2] = b2n; tileB[sb3] = b3n;
            Group.Barrier();

            int next = k0 + TileK;
            if (next < p.K)
            {
                a0n = LoadA(a, p, rowBase, next, thread, 0); a1n = LoadA(a, p, rowBase, next, thread, 1);
                a2n = LoadA(a, p, rowBase, next, thread, 2); a3n = LoadA(a, p, rowBase, next, thread, 3);
                b0n = LoadB(b, p, colBase, next, thread, 0); b1n = LoadB(b, p, colBase, next, thread, 1);
                b2n = LoadB(b, p, colBase, next, thread, 2); b3n = LoadB(b, p, colBase, next, thread, 3);
            }

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

    // Load j (0..3) of a thread covers one quarter of the 64×16 slice. Consecutive threads read consecutive
    // addresses of whichever layout the operand is stored in: along K for a row-major A (and a transposed B),
    // along M (N) otherwise.
    private static int RowOfA(GemmArgs p, int thread, int j) => p.TransA == 0 ? thread / TileK + 16 * j : thread % Tile;
    private static int KOfA(GemmArgs p, int thread, int j) => p.TransA == 0 ? thread % TileK : thread / Tile + 4 * j;
    private static int ColOfB(GemmArgs p, int thread, int j) => p.TransB == 0 ? thread % Tile : thread / TileK + 16 * j;
    private static int KOfB(GemmArgs p, int thread, int j) => p.TransB == 0 ? thread / Tile + 4 * j : thread % TileK;

    private static int SlotA(GemmArgs p, int thread, int j) => KOfA(p, thread, j) * SharedStride + RowOfA(p, thread, j);
    private static int SlotB(GemmArgs p, int thread, int j) => KOfB(p, thread, j) * SharedStride + ColOfB(p, thread, j);

    private static float LoadA(ArrayView<float> a, GemmArgs p, int rowBase, int k0, int thread, int j)
    {
        int m = rowBase + RowOfA(p, thread, j), k = k0 + KOfA(p, thread, j);
        if (m >= p.M || k >= p.K) return 0f;
        return p.TransA == 0 ? a[(long)m * p.K + k] : a[(long)k * p.M + m];
    }

    private static float LoadB(ArrayView<float> b, GemmArgs p, int colBase, int k0, int thread, int j)
    {
        int n = colBase + ColOfB(p, thread, j), k = k0 + KOfB(p, thread, j);
        if (n >= p.N || k >= p.K) return 0f;
        return p.TransB == 0 ? b[(long)k * p.N + n] : b[(long)n * p.K + k];
    }

    internal static void Store(ArrayView<float> c, ArrayView<float> bias, GemmArgs p, int row, int col, float sum)
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
    private readonly Lazy<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs>> _largeTiled;

    public GemmLauncher(IlgpuKernels owner)
    {
        _owner = owner;
        _tiled = owner.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs>(GemmKernels.Tiled);
        _largeTiled = new(() => owner.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs>(GemmLargeTileKernels.Tiled));
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
        if (UseLargeTiles(args))
        {
            var largeGrid = new Index2D(Ceil(args.N, GemmLargeTileKernels.Tile), Ceil(args.M, GemmLargeTileKernels.Tile));
            _largeTiled.Value(new KernelConfig(largeGrid, new Index2D(GemmLargeTileKernels.Threads, 1)), a, b, c, bias, args);
            return;
        }
        var grid = new Index2D(Ceil(args.N, GemmKernels.Tile), Ceil(args.M, GemmKernels.Tile));
        _tiled(new KernelConfig(grid, new Index2D(GemmKernels.Threads, 1)), a, b, c, bias, args);
    }

    private bool UseLargeTiles(GemmArgs args) => _owner.GemmTiling switch
    {
        GemmTiling.Tile64 => false,
        GemmTiling.Tile128 => true,
        _ => (long)Ceil(args.N, GemmLargeTileKernels.Tile) * Ceil(args.M, GemmLargeTileKernels.Tile) >= 2L * _owner.Accelerator.NumMultiprocessors,
    };

    private static int Ceil(int value, int divisor) => (value + divisor - 1) / divisor;
}
