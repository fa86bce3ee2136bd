using ILGPU;

namespace Ompq.Kernels.Ilgpu;

/// <summary>Eight floats held in registers: one row of a thread's 8×8 accumulator block, or eight operands.</summary>
internal struct Float8
{
    public float V0, V1, V2, V3, V4, V5, V6, V7;

    /// <summary>acc + a·b, element by element.</summary>
    public static Float8 MulAdd(Float8 acc, float a, Float8 b)
    {
        acc.V0 += a * b.V0; acc.V1 += a * b.V1; acc.V2 += a * b.V2; acc.V3 += a * b.V3;
        acc.V4 += a * b.V4; acc.V5 += a * b.V5; acc.V6 += a * b.V6; acc.V7 += a * b.V7;
        return acc;
    }

    /// <summary>Reads view[start + stride·i] for i = 0..7.</summary>
    public static Float8 Load(ArrayView<float> view, int start, int stride)
    {
        Float8 v;
        v.V0 = view[start]; v.V1 = view[start + stride]; v.V2 = view[start + 2 * stride]; v.V3 = view[start + 3 * stride];
        v.V4 = view[start + 4 * stride]; v.V5 = view[start + 5 * stride]; v.V6 = view[start + 6 * stride]; v.V7 = view[start + 7 * stride];
        return v;
    }
}

/// <summary>
/// The large-tile variant of <see cref="GemmKernels"/> for big products: a 128×128 block of C per group of 16×16
/// threads, each thread an 8×8 register block (rows ty + 16i, columns tx + 16j), K in slices of 8. Sixteen
/// shared-memory reads feed 64 FMAs per step (four per read, against two in the 64×64 kernel), at the price of
/// fewer, fatter groups, so the launcher uses it only when there are enough tiles to fill the GPU. Same operand
/// layouts, prefetching, epilogue and edge handling as the 64×64 kernel.
/// </summary>
internal static class GemmLargeTileKernels
{
    public const int Tile = 128;
    public const int TileK = 8;
    public const int Threads = 256;
    /// <summary>Row stride of the shared slices: 128 + 4 spreads the transposing stores over all banks.</summary>
    public const int SharedStride = Tile + 4;

    public static void Tiled(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias, GemmArgs p)
    {
        var tileA = SharedMemory.Allocate<float>(TileK * SharedStride);
        var tileB = SharedMemory.Allocate<float>(TileK * SharedStride);
        int thread = Group.IdxX;
        int tx = thread % 16;
        int ty = thread / 16;
        int rowBase = Grid.IdxY * Tile;
        int colBase = Grid.IdxX * Tile;

        Float8 c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;

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
                var av = Float8.Load(tileA, row + ty, 16);
                var bv = Float8.Load(tileB, row + tx, 16);
                c0 = Float8.MulAdd(c0, av.V0, bv); c1 = Float8.MulAdd(c1, av.V1, bv);
                c2 = Float8.MulAdd(c2, av.V2, bv); c3 = Float8.MulAdd(c3, av.V3, bv);
                c4 = Float8.MulAdd(c4, av.V4, bv); c5 = Float8.MulAdd(c5, av.V5, bv);
                c6 = Float8.MulAdd(c6, av.V6, bv); c7 = Float8.MulAdd(c7, av.V7, bv);
            }
            Group.Barrier();
        }

        int r0 = rowBase + ty, q0 = colBase + tx;
        StoreRow(c, bias, p, r0, q0, c0); StoreRow(c, bias, p, r0 + 16, q0, c1);
        StoreRow(c, bias, p, r0 + 32, q0, c2); StoreRow(c, bias, p, r0 + 48, q0, c3);
        StoreRow(c, bias, p, r0 + 64, q0, c4); StoreRow(c, bias, p, r0 + 80, q0, c5);
        StoreRow(c, bias, p, r0 + 96, q0, c6); StoreRow(c, bias, p, r0 + 112, q0, c7);
    }

    // Load j (0..3) of a thread covers one quarter of the 128×8 slice, consecutive threads on consecutive addresses.
    private static int RowOfA(GemmArgs p, int thread, int j) => p.TransA == 0 ? thread / TileK + 32 * j : thread % Tile;
    private static int KOfA(GemmArgs p, int thread, int j) => p.TransA == 0 ? thread % TileK : thread / Tile + 2 * j;
    private static int ColOfB(GemmArgs p, int thread, int j) => p.TransB == 0 ? thread % Tile : thread / TileK + 32 * j;
    private static int KOfB(GemmArgs p, int thread, int j) => p.TransB == 0 ? thread / Tile + 2 * j : thread % TileK;

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

    private static void StoreRow(ArrayView<float> c, ArrayView<float> bias, GemmArgs p, int row, int col, Float8 v)
    {
        GemmKernels.Store(c, bias, p, row, col, v.V0); GemmKernels.Store(c, bias, p, row, col + 16, v.V1);
        GemmKernels.Store(c, bias, p, row, col + 32, v.V2); GemmKernels.Store(c, bias, p, row, col + 48, v.V3);
        GemmKernels.Store(c, bias, p, row, col + 64, v.V4); GemmKernels.Store(c, bias, p, row, col + 80, v.V5);
        GemmKernels.Store(c, bias, p, row, col + 96, v.V6); GemmKernels.Store(c, bias, p, row, col + 112, v.V7);
    }
}
