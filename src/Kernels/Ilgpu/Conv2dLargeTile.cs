using ILGPU;

namespace Ompq.Kernels.Ilgpu;

/// <summary>
/// The large-tile variant of <see cref="Conv2dKernels"/> for layers with many output channels per group: 128
/// output channels × 128 output pixels per group of 16×16 threads, an 8×8 register block per thread, (c,r,s) in
/// slices of 8. Same gather table, prefetching, fused epilogue and edge handling as the 64×64 kernel.
/// </summary>
internal static class Conv2dLargeTileKernels
{
    public const int Tile = 128;
    public const int TileK = 8;
    public const int Threads = 256;
    public const int SharedStride = Tile + 4;

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

        int gatherColumn = thread % Tile;
        int gatherRow = thread / Tile;
        var origin = Conv2dKernels.GatherOrigin(p, group, pixelBase + gatherColumn);
        long wBase = (long)group * p.KPerGroup * p.Crs;
        int wColumn = thread % TileK, wRow = thread / TileK;

        Float8 c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;

        float w0n = LoadW(w, p, wBase, channelBase, 0, wRow, wColumn), w1n = LoadW(w, p, wBase, channelBase, 0, wRow + 32, wColumn);
        float w2n = LoadW(w, p, wBase, channelBase, 0, wRow + 64, wColumn), w3n = LoadW(w, p, wBase, channelBase, 0, wRow + 96, wColumn);
        float x0n = Conv2dKernels.Gather(x, table, p, origin, gatherRow), x1n = Conv2dKernels.Gather(x, table, p, origin, gatherRow + 2);
        float x2n = Conv2dKernels.Gather(x, table, p, origin, gatherRow + 4), x3n = Conv2dKernels.Gather(x, table, p, origin, gatherRow + 6);

        for (int k0 = 0; k0 < p.Crs; k0 += TileK)
        {
            int wSlot = wColumn * SharedStride + wRow;
            tileW[wSlot] = w0n; tileW[wSlot + 32] = w1n; tileW[wSlot + 64] = w2n; tileW[wSlot + 96] = w3n;
            int xSlot = gatherRow * SharedStride + gatherColumn;
            tileX[xSlot] = x0n; tileX[xSlot + 2 * SharedStride] = x1n; tileX[xSlot + 4 * SharedStride] = x2n; tileX[xSlot + 6 * SharedStride] = x3n;
            Group.Barrier();

            int next = k0 + TileK;
            if (next < p.Crs)
            {
                w0n = LoadW(w, p, wBase, channelBase, next, wRow, wColumn); w1n = LoadW(w, p, wBase, channelBase, next, wRow + 32, wColumn);
                w2n = LoadW(w, p, wBase, channelBase, next, wRow + 64, wColumn); w3n = LoadW(w, p, wBase, channelBase, next, wRow + 96, wColumn);
                x0n = Conv2dKernels.Gather(x, table, p, origin, next + gatherRow); x1n = Conv2dKernels.Gather(x, table, p, origin, next + gatherRow + 2);
                x2n = Conv2dKernels.Gather(x, table, p, origin, next + gatherRow + 4); x3n = Conv2dKernels.Gather(x, table, p, origin, next + gatherRow + 6);
            }

            for (int kk = 0; kk < TileK; kk++)
            {
                int row = kk * SharedStride;
                var wv = Float8.Load(tileW, row + ty, 16);
                var xv = Float8.Load(tileX, row + tx, 16);
                c0 = Float8.MulAdd(c0, wv.V0, xv); c1 = Float8.MulAdd(c1, wv.V1, xv);
                c2 = Float8.MulAdd(c2, wv.V2, xv); c3 = Float8.MulAdd(c3, wv.V3, xv);
                c4 = Float8.MulAdd(c4, wv.V4, xv); c5 = Float8.MulAdd(c5, wv.V5, xv);
                c6 = Float8.MulAdd(c6, wv.V6, xv); c7 = Float8.MulAdd(c7, wv.V7, xv);
            }
            Group.Barrier();
        }

        // c_i.Vj is output channel channelBase + ty + 16i at pixel pixelBase + tx + 16j.
        int k = channelBase + ty, px = pixelBase + tx;
        StorePixel(y, bias, p, group, k, px, c0.V0, c1.V0, c2.V0, c3.V0, c4.V0, c5.V0, c6.V0, c7.V0);
        StorePixel(y, bias, p, group, k, px + 16, c0.V1, c1.V1, c2.V1, c3.V1, c4.V1, c5.V1, c6.V1, c7.V1);
        StorePixel(y, bias, p, group, k, px + 32, c0.V2, c1.V2, c2.V2, c3.V2, c4.V2, c5.V2, c6.V2, c7.V2);
        StorePixel(y, bias, p, group, k, px + 48, c0.V3, c1.V3, c2.V3, c3.V3, c4.V3, c5.V3, c6.V3, c7.V3);
        StorePixel(y, bias, p, group, k, px + 64, c0.V4, c1.V4, c2.V4, c3.V4, c4.V4, c5.V4, c6.V4, c7.V4);
        StorePixel(y, bias, p, group, k, px + 80, c0.V5, c1.V5, c2.V5, c3.V5, c4.V5, c5.V5, c6.V5, c7.V5);
        StorePixel(y, bias, p, group, k, px + 96, c0.V6, c1.V6, c2.V6, c3.V6, c4.V6, c5.V6, c6.V6, c7.V6);
        StorePixel(y, bias, p, group, k, px + 112, c0.V7, c1.V7, c2.V7, c3.V7, c4.V7, c5.V7, c6.V7, c7.V7);
    }

    private static float LoadW(ArrayView<float> w, ConvArgs p, long wBase, int channelBase, int k0, int row, int column)
    {
        int m = channelBase + row, k = k0 + column;
        if (m >= p.KPerGroup || k >= p.Crs) return 0f;
        return w[wBase + (long)m * p.Crs + k];
    }

    /// <summary>Stores output channels k, k+16, …, k+112 of one output pixel.</summary>
    private static void StorePixel(ArrayView<float> y, ArrayView<float> bias, ConvArgs p, int group, int k, int pixel,
        float v0, float v1, float v2, float v3, float v4, float v5, float v6, float v7)
    {
        Conv2dKernels.StoreColumn(y, bias, p, group, k, pixel, v0, v1, v2, v3);
        Conv2dKernels.StoreColumn(y, bias, p, group, k + 64, pixel, v4, v5, v6, v7);
    }
}
