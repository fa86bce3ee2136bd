using ILGPU;
using ILGPU.Runtime;

namespace Ompq.Kernels.Ilgpu;

internal readonly struct GramArgs
{
    public readonly int N;
    public readonly long D;
    /// <summary>Tiles along one side of the n×n output.</summary>
    public readonly int Tiles;
    /// <summary>Columns of X each split of the d dimension covers (a multiple of the K slice).</summary>
    public readonly long Chunk;

    public GramArgs(int n, long d, int tiles, long chunk)
    {
        N = n; D = d; Tiles = tiles; Chunk = chunk;
    }
}

/// <summary>
/// K = X·Xᵀ for X[n×d] with d ≫ n (OMPQ features: n = batch, d = C·H·W). Symmetric and split-K:
/// grid x enumerates only the upper-triangle 64×64 output tiles (bi ≤ bj), grid y splits d into chunks so that
/// a handful of output tiles still fill the GPU. Each group runs the tiled 16×16-thread, 4×4-per-thread product of
/// <see cref="GemmKernels"/> with both operands read row-wise from X (once on diagonal tiles, prefetching the
/// next slice into registers), and writes its partial tile. A second kernel
/// sums the partials over the splits and mirrors the upper tiles into the full matrix.
/// </summary>
internal static class GramKernels
{
    public const int Tile = 64;
    public const int TileK = 16;
    public const int Threads = 256;
    public const int SharedStride = Tile + 1;

    public static void Partials(ArrayView<float> x, ArrayView<float> partials, GramArgs p)
    {
        var tileI = SharedMemory.Allocate<float>(TileK * SharedStride);
        var tileJ = SharedMemory.Allocate<float>(TileK * SharedStride);
        int thread = Group.IdxX;
        int tx = thread % 16;
        int ty = thread / 16;

        // Decode the pair index into (bi, bj), bi <= bj, row by row of the upper triangle.
        int pair = Grid.IdxX;
        int bi = 0;
        while (pair >= p.Tiles - bi)
        {
            pair -= p.Tiles - bi;
            bi++;
        }
        int bj = bi + pair;
        int rowBase = bi * Tile, colBase = bj * Tile;
        int split = Grid.IdxY;
        long kBegin = split * p.Chunk;
        long kEnd = kBegin + p.Chunk;
        if (kEnd > p.D) kEnd = p.D;

        float c00 = 0, c01 = 0, c02 = 0, c03 = 0;
        float c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0;
        float c30 = 0, c31 = 0, c32 = 0, c33 = 0;

        // Diagonal tiles multiply a block of rows by itself: read it once.
        bool diagonal = bi == bj;
        int loadK = thread % TileK, loadRow = thread / TileK;
        float i0n = Load(x, p, rowBase + loadRow, kBegin + loadK, kEnd), i1n = Load(x, p, rowBase + loadRow + 16, kBegin + loadK, kEnd);
        float i2n = Load(x, p, rowBase + loadRow + 32, kBegin + loadK, kEnd), i3n = Load(x, p, rowBase + loadRow + 48, kBegin + loadK, kEnd);
        float j0n = 0, j1n = 0, j2n = 0, j3n = 0;
        if (!diagonal)
        {
            j0n = Load(x, p, colBase + loadRow, kBegin + loadK, kEnd); j1n = Load(x, p, colBase + loadRow + 16, kBegin + loadK, kEnd);
            j2n = Load(x, p, colBase + loadRow + 32, kBegin + loadK, kEnd); j3n = Load(x, p, colBase + loadRow + 48, kBegin + loadK, kEnd);
        }

        for (long k0 = kBegin; k0 < kEnd; k0 += TileK)
        {
            int slot = loadK * SharedStride + loadRow;
            tileI[slot] = i0n; tileI[slot + 16] = i1n; tileI[slot + 32] = i2n; tileI[slot + 48] = i3n;
            if (!diagonal)
            {
                tileJ[slot] = j0n; tileJ[slot + 16] = j1n; tileJ[slot + 32] = j2n; tileJ[slot + 48] = j3n;
            }
            Group.Barrier();

            long next = k0 + TileK;
            if (next < kEnd)
            {
                i0n = Load(x, p, rowBase + loadRow, next + loadK, kEnd); i1n = Load(x, p, rowBase + loadRow + 16, next + loadK, kEnd);
                i2n = Load(x, p, rowBase + loadRow + 32, next + loadK, kEnd); i3n = Load(x, p, rowBase + loadRow + 48, next + loadK, kEnd);
                if (!diagonal)
                {
                    j0n = Load(x, p, colBase + loadRow, next + loadK, kEnd); j1n = Load(x, p, colBase + loadRow + 16, next + loadK, kEnd);
                    j2n = Load(x, p, colBase + loadRow + 32, next + loadK, kEnd); j3n = Load(x, p, colBase + loadRow + 48, next + loadK, kEnd);
                }
            }

            var tileB = diagonal ? tileI : tileJ;
            for (int kk = 0; kk < TileK; kk++)
            {
                int row = kk * SharedStride;
                float a0 = tileI[row + ty], a1 = tileI[row + ty + 16], a2 = tileI[row + ty + 32], a3 = tileI[row + ty + 48];
                float b0 = tileB[row + tx], b1 = tileB[row + tx + 16], b2 = tileB[row + tx + 32], b3 = tileB[row + tx + 48];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Group.Barrier();
        }

        long splitBase = (long)split * p.N * p.N;
        int r0 = rowBase + ty, q0 = colBase + tx;
        Store(partials, p, splitBase, r0, q0, c00); Store(partials, p, splitBase, r0, q0 + 16, c01); Store(partials, p, splitBase, r0, q0 + 32, c02); Store(partials, p, splitBase, r0, q0 + 48, c03);
        Store(partials, p, splitBase, r0 + 16, q0, c10); Store(partials, p, splitBase, r0 + 16, q0 + 16, c11); Store(partials, p, splitBase, r0 + 16, q0 + 32, c12); Store(partials, p, splitBase, r0 + 16, q0 + 48, c13);
        Store(partials, p, splitBase, r0 + 32, q0, c20); Store(partials, p, splitBase, r0 + 32, q0 + 16, c21); Store(partials, p, splitBase, r0 + 32, q0 + 32, c22); Store(partials, p, splitBase, r0 + 32, q0 + 48, c23);
        Store(partials, p, splitBase, r0 + 48, q0, c30); Store(partials, p, splitBase, r0 + 48, q0 + 16, c31); Store(partials, p, splitBase, r0 + 48, q0 + 32, c32); Store(partials, p, splitBase, r0 + 48, q0 + 48, c33);
    }

    /// <summary>X[row, k], zero past the matrix or the split's end; consecutive threads read consecutive k.</summary>
    private static float Load(ArrayView<float> x, GramArgs p, int row, long k, long kEnd)
        => row < p.N && k < kEnd ? x[row * p.D + k] : 0f;

    private static void Store(ArrayView<float> partials, GramArgs p, long splitBase, int row, int col, float sum)
    {
        if (row < p.N && col < p.N) partials[splitBase + (long)row * p.N + col] = sum;
    }

    /// <summary>One thread per output element: sums its upper-tile partial over the splits.</summary>
    public static void SumSplitsAndMirror(Index1D index, ArrayView<float> partials, ArrayView<float> k, int n, int splits)
    {
        int i = index / n, j = index % n;
        // Lower-tile elements take their value from the mirrored upper tile.
        int row = i, col = j;
        if (i / Tile > j / Tile)
        {
            row = j;
            col = i;
        }
        long offset = (long)row * n + col;
        long stride = (long)n * n;
        float sum = 0;
        for (int s = 0; s < splits; s++) sum += partials[s * stride + offset];
        k[index] = sum;
    }
}

/// <summary>Launches the Gram kernels; also serves <see cref="IKernels.FrobeniusProducts"/> (a Gram of flattened matrices).</summary>
internal sealed class GramLauncher : IDisposable
{
    /// <summary>Each split should cover at least this many columns of X before d is split further.</summary>
    private const long MinChunk = 4096;
    private const int MaxSplits = 512;
    /// <summary>Cap on the partials (floats), so huge n cannot ask for gigabytes of scratch.</summary>
    private const long MaxPartials = 1L << 24;

    private readonly IlgpuKernels _owner;
    private readonly ScratchBuffer _partials;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, GramArgs> _partialsKernel;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int, int> _sum;

    public GramLauncher(IlgpuKernels owner)
    {
        _owner = owner;
        _partials = new ScratchBuffer(owner.Accelerator);
        _partialsKernel = owner.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, GramArgs>(GramKernels.Partials);
        _sum = owner.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(GramKernels.SumSplitsAndMirror);
    }

    public void Gram(int n, long d, BufferSlice x, BufferSlice k, string xName = "x", string kName = "k")
    {
        if (n <= 0 || d <= 0) throw new KernelArgumentException($"gram needs n > 0 and d > 0, got n={n} d={d}");
        if ((long)n * n > int.MaxValue) throw new KernelArgumentException($"gram output {n}×{n} is too large");
        x.Require(n * d, xName);
        k.Require((long)n * n, kName);

        int tiles = (n + GramKernels.Tile - 1) / GramKernels.Tile;
        int pairs = tiles * (tiles + 1) / 2;
        long nn = (long)n * n;
        long splits = Math.Clamp(d / MinChunk, 1, MaxSplits);
        splits = Math.Max(1, Math.Min(splits, MaxPartials / nn));
        long chunk = (d + splits - 1) / splits;
        chunk = (chunk + GramKernels.TileK - 1) / GramKernels.TileK * GramKernels.TileK;
        splits = (d + chunk - 1) / chunk;

        var partials = _partials.Get(splits * nn);
        var config = new KernelConfig(new Index2D(pairs, (int)splits), new Index2D(GramKernels.Threads, 1));
        _partialsKernel(config, _owner.View(x, xName), partials, new GramArgs(n, d, tiles, chunk));
        _sum((int)nn, partials, _owner.View(k, kName), n, (int)splits);
    }

    public void Dispose() => _partials.Dispose();
}
