using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Winograd F(2×2, 3×3) input and output transforms on AVX-512 for planes up to 32 wide (ResNet's 14×14 and 28×28),
/// one row of tiles at a time with tile tx in lane tx: an input row (two zmm) gives the value each tile's window sees
/// in column j by one two-source permute (4 per row, zero outside the image), the transform runs down 4 rows and
/// along the 4 columns in registers, and each point's tiles of the row are one masked store. Consecutive tile rows
/// share two input rows, so each row is loaded and permuted once. The output side interleaves the tiles' two output
/// columns back into rows with two permutes per row. Planes of ≤ 64 floats use <see cref="WinogradPlane512"/>, which
/// fills all 16 lanes.
/// </summary>
internal sealed unsafe class WinogradRows512 : WinogradTiles512
{
    private readonly Vector512<int> index0, index1, index2, index3;
    private readonly Vector512<float> valid0, valid1, valid2, valid3;
    private readonly Vector512<float> rowLow, rowHigh, tileLanes, outputLow, outputHigh;
    private readonly int h, w, padH, tilesH, tilesW, p, q;
    private static readonly Vector512<int> InterleaveLow = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    private static readonly Vector512<int> InterleaveHigh = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);

    public static bool Fits(in Conv2dShape s, int tilesW) => Avx512F.IsSupported && s.W <= 32 && s.Q <= 32 && tilesW <= 16;

    public WinogradRows512(in Conv2dShape s, int tilesH, int tilesW)
    {
        (h, w, padH, p, q) = (s.H, s.W, s.PadH, s.P, s.Q);
        (this.tilesH, this.tilesW) = (tilesH, tilesW);
        (index0, valid0) = Column(s, tilesW, 0);
        (index1, valid1) = Column(s, tilesW, 1);
        (index2, valid2) = Column(s, tilesW, 2);
        (index3, valid3) = Column(s, tilesW, 3);
        rowLow = TailMask512.First(Math.Min(w, 16));
        rowHigh = TailMask512.First(Math.Max(w - 16, 0));
        tileLanes = TailMask512.First(tilesW);
        outputLow = TailMask512.First(Math.Min(q, 16));
        outputHigh = TailMask512.First(Math.Max(q - 16, 0));
    }

    /// <summary>Where tile tx's window column j lies in an input row (low 5 bits index the row's two vectors) and whether it is inside.</summary>
    private static (Vector512<int> Index, Vector512<float> Valid) Column(in Conv2dShape s, int tilesW, int j)
    {
        var index = new int[16];
        var valid = new float[16];
        for (int tx = 0; tx < 16; tx++)
        {
            int col = 2 * tx - s.PadW + j;
            bool inside = tx < tilesW && col >= 0 && col < s.W;
            index[tx] = inside ? col : 0;
            valid[tx] = inside ? BitConverter.Int32BitsToSingle(-1) : 0f;
        }
        return (Vector512.Create(index), Vector512.Create(valid));
    }

    /// <summary>V_ξ for the tiles of one input plane, tile row ty's tiles at v + ξ·points + ty·tilesW.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Input(float* plane, float* v, long points)
    {
        int first = -padH;
        LoadRow(plane, first, out var e0, out var e1, out var e2, out var e3);
        LoadRow(plane, first + 1, out var f0, out var f1, out var f2, out var f3);
        for (int ty = 0; ty < tilesH; ty++)
        {
            int row = first + 2 * ty;
            LoadRow(plane, row + 2, out var g0, out var g1, out var g2, out var g3);
            LoadRow(plane, row + 3, out var k0, out var k1, out var k2, out var k3);
            float* o = v + ty * tilesW;
            // Bᵀ·d down the window's columns (rows e, f, g, k), then ·B along each resulting row.
            InputRow(o, points, tileLanes, e0 - g0, e1 - g1, e2 - g2, e3 - g3);
            InputRow(o + 4 * points, points, tileLanes, f0 + g0, f1 + g1, f2 + g2, f3 + g3);
            InputRow(o + 8 * points, points, tileLanes, g0 - f0, g1 - f1, g2 - f2, g3 - f3);
            InputRow(o + 12 * points, points, tileLanes, f0 - k0, f1 - k1, f2 - k2, f3 - k3);
            (e0, e1, e2, e3) = (g0, g1, g2, g3);
            (f0, f1, f2, f3) = (k0, k1, k2, k3);
        }
    }

    /// <summary>The 4 window columns of every tile in input row <c>row</c> (zero rows above and below the image).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void LoadRow(float* plane, int row, out Vector512<float> c0, out Vector512<float> c1, out Vector512<float> c2, out Vector512<float> c3)
    {
        if (row < 0 || row >= h)
        {
            c0 = c1 = c2 = c3 = Vector512<float>.Zero;
            return;
        }
        float* at = plane + (long)row * w;
        var low = Avx512F.MaskLoad(at, rowLow, Vector512<float>.Zero);
        var high = Avx512F.MaskLoad(at + 16, rowHigh, Vector512<float>.Zero);
        c0 = Avx512F.PermuteVar16x32x2(low, index0, high) & valid0;
        c1 = Avx512F.PermuteVar16x32x2(low, index1, high) & valid1;
        c2 = Avx512F.PermuteVar16x32x2(low, index2, high) & valid2;
        c3 = Avx512F.PermuteVar16x32x2(low, index3, high) & valid3;
    }

    /// <summary>One output plane from its tiles' 16 points (tile row ty at m + ξ·points + ty·tilesW): Aᵀ·M·A, interleaved into rows, cropped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Output(float* m, long points, float* y)
    {
        for (int ty = 0; ty < tilesH; ty++)
        {
            float* at = m + ty * tilesW;
            OutputColumn(at, points, 0, tileLanes, out var r00, out var r10);
            OutputColumn(at, points, 1, tileLanes, out var r01, out var r11);
            OutputColumn(at, points, 2, tileLanes, out var r02, out var r12);
            OutputColumn(at, points, 3, tileLanes, out var r03, out var r13);
            float* row = y + (long)2 * ty * q;
            StoreRow(row, r00 + r01 + r02, r01 - r02 - r03);
            if (2 * ty + 1 < p) StoreRow(row + q, r10 + r11 + r12, r11 - r12 - r13);
        }
    }

    /// <summary>Output columns 2tx and 2tx + 1 of every tile, side by side, cropped to the plane's width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void StoreRow(float* row, Vector512<float> even, Vector512<float> odd)
    {
        Avx512F.MaskStore(row, outputLow, Avx512F.PermuteVar16x32x2(even, InterleaveLow, odd));
        if (q > 16) Avx512F.MaskStore(row + 16, outputHigh, Avx512F.PermuteVar16x32x2(even, InterleaveHigh, odd));
    }
}
