using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Winograd F(2×2, 3×3) input and output transforms on AVX-512 for small planes: input and output planes of at most
/// 64 floats and at most 16 tiles (ResNet's last stage: 7×7 and 8×8 planes, 16 tiles each). A whole input plane is 4
/// zmm registers, and the value each tile sees at window position (i, j) is two two-source permutes and a blend away,
/// so a plane's V (16 points × its tiles, tile t in lane t) is made in registers and stored as one vector per point;
/// the output side inverts that. It replaces a zero-padded copy, a tile loop and 16 short memory copies per plane,
/// which made the transforms as slow as the 16 GEMMs on 32×512×7×7 (2 threads: input 7.9 ms, output 6.5 ms, GEMMs 17.9).
/// The permutes and masks depend only on the shape: built once per call.
/// </summary>
internal sealed unsafe class WinogradPlane512 : WinogradTiles512
{
    private const int Points = 16;

    // Per window position ξ = 4i + j: where each tile's value lies in the plane (low 5 bits index a 32-float half),
    // which half, and which lanes are real (inside the image and a tile that exists).
    private readonly Vector512<int>[] inputIndex = new Vector512<int>[Points];
    private readonly Vector512<float>[] inputUpper = new Vector512<float>[Points];
    private readonly Vector512<float>[] inputValid = new Vector512<float>[Points];
    private readonly Vector512<float>[] inputLoad = new Vector512<float>[4];

    // Per output vector q (plane floats 16q .. 16q + 16): which tile output feeds each float, from the row-0 pair
    // (y00 | y01) or the row-1 pair (y10 | y11), and which floats exist.
    private readonly Vector512<int>[] outputIndex = new Vector512<int>[4];
    private readonly Vector512<float>[] outputOddRow = new Vector512<float>[4];
    private readonly Vector512<float>[] outputStore = new Vector512<float>[4];

    private readonly Vector512<float> tileLanes;
    private readonly int inputPlane, outputPlane, tiles;

    public static bool Fits(in Conv2dShape s, int tilesH, int tilesW)
        => Avx512F.IsSupported && (long)s.H * s.W <= 64 && (long)s.P * s.Q <= 64 && tilesH * tilesW <= 16;

    public WinogradPlane512(in Conv2dShape s, int tilesH, int tilesW)
    {
        inputPlane = s.H * s.W;
        outputPlane = s.P * s.Q;
        tiles = tilesH * tilesW;
        tileLanes = TailMask512.First(tiles);
        var index = new int[16];
        var flag = new float[16];
        var valid = new float[16];
        for (int point = 0; point < Points; point++)
        {
            int i = point / 4, j = point % 4;
            for (int t = 0; t < 16; t++)
            {
                int row = 2 * (t / tilesW) + i - s.PadH, col = 2 * (t % tilesW) + j - s.PadW;
                bool inside = t < tiles && row >= 0 && row < s.H && col >= 0 && col < s.W;
                int position = inside ? row * s.W + col : 0;
                index[t] = position & 31;
                flag[t] = position >= 32 ? AllOnes : 0f;
                valid[t] = inside ? AllOnes : 0f;
            }
            inputIndex[point] = Vector512.Create(index);
            inputUpper[point] = Vector512.Create(flag);
            inputValid[point] = Vector512.Create(valid);
        }
        for (int q = 0; q < 4; q++) inputLoad[q] = TailMask512.First(Math.Clamp(inputPlane - 16 * q, 0, 16));
        for (int q = 0; q < 4; q++)
        {
            for (int lane = 0; lane < 16; lane++)
            {
                int position = 16 * q + lane;
                if (position >= outputPlane)
                {
                    index[lane] = 0;
                    flag[lane] = 0f;
                    continue;
                }
                int row = position / s.Q, col = position % s.Q;
                index[lane] = (col % 2) * 16 + (row / 2) * tilesW + col / 2;
                flag[lane] = row % 2 == 1 ? AllOnes : 0f;
            }
            outputIndex[q] = Vector512.Create(index);
            outputOddRow[q] = Vector512.Create(flag);
            outputStore[q] = TailMask512.First(Math.Clamp(outputPlane - 16 * q, 0, 16));
        }
    }

    private static float AllOnes => BitConverter.Int32BitsToSingle(-1);

    /// <summary>V_ξ[lane t] = (Bᵀ·d_t·B)[ξ] for the tiles of one input plane, stored at v + ξ·points (the plane's tiles in order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Input(float* plane, float* v, long points)
    {
        var z0 = Avx512F.MaskLoad(plane, inputLoad[0], Vector512<float>.Zero);
        var z1 = Avx512F.MaskLoad(plane + 16, inputLoad[1], Vector512<float>.Zero);
        var z2 = Avx512F.MaskLoad(plane + 32, inputLoad[2], Vector512<float>.Zero);
        var z3 = Avx512F.MaskLoad(plane + 48, inputLoad[3], Vector512<float>.Zero);
        // Bᵀ·d down each window column j (window rows 0..3 are points j, 4 + j, 8 + j, 12 + j), then ·B along each row.
        WindowColumn(z0, z1, z2, z3, 0, out var a0, out var b0, out var c0, out var d0);
        WindowColumn(z0, z1, z2, z3, 1, out var a1, out var b1, out var c1, out var d1);
        WindowColumn(z0, z1, z2, z3, 2, out var a2, out var b2, out var c2, out var d2);
        WindowColumn(z0, z1, z2, z3, 3, out var a3, out var b3, out var c3, out var d3);
        InputRow(v, points, tileLanes, a0, a1, a2, a3);
        InputRow(v + 4 * points, points, tileLanes, b0, b1, b2, b3);
        InputRow(v + 8 * points, points, tileLanes, c0, c1, c2, c3);
        InputRow(v + 12 * points, points, tileLanes, d0, d1, d2, d3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WindowColumn(Vector512<float> z0, Vector512<float> z1, Vector512<float> z2, Vector512<float> z3, int j,
        out Vector512<float> a, out Vector512<float> b, out Vector512<float> c, out Vector512<float> d)
    {
        var w0 = Window(z0, z1, z2, z3, j);
        var w1 = Window(z0, z1, z2, z3, 4 + j);
        var w2 = Window(z0, z1, z2, z3, 8 + j);
        var w3 = Window(z0, z1, z2, z3, 12 + j);
        a = w0 - w2;
        b = w1 + w2;
        c = w2 - w1;
        d = w1 - w3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector512<float> Window(Vector512<float> z0, Vector512<float> z1, Vector512<float> z2, Vector512<float> z3, int point)
    {
        var index = inputIndex[point];
        var value = Vector512.ConditionalSelect(inputUpper[point],
            Avx512F.PermuteVar16x32x2(z2, index, z3), Avx512F.PermuteVar16x32x2(z0, index, z1));
        return value & inputValid[point];
    }

    /// <summary>One output plane from the 16 points of its tiles at m + ξ·points: Aᵀ·M·A per tile, placed and cropped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Output(float* m, long points, float* y)
    {
        // Aᵀ·M: row 0 = M0 + M1 + M2, row 1 = M1 − M2 − M3, for each column j.
        Vector512<float> r00, r01, r02, r03, r10, r11, r12, r13;
        OutputColumn(m, points, 0, tileLanes, out r00, out r10);
        OutputColumn(m, points, 1, tileLanes, out r01, out r11);
        OutputColumn(m, points, 2, tileLanes, out r02, out r12);
        OutputColumn(m, points, 3, tileLanes, out r03, out r13);
        // ·A: output column 0 = c0 + c1 + c2, column 1 = c1 − c2 − c3.
        var y00 = r00 + r01 + r02;
        var y01 = r01 - r02 - r03;
        var y10 = r10 + r11 + r12;
        var y11 = r11 - r12 - r13;
        for (int q = 0; q < 4 && 16 * q < outputPlane; q++)
        {
            var index = outputIndex[q];
            var value = Vector512.ConditionalSelect(outputOddRow[q],
                Avx512F.PermuteVar16x32x2(y10, index, y11), Avx512F.PermuteVar16x32x2(y00, index, y01));
            Avx512F.MaskStore(y + 16 * q, outputStore[q], value);
        }
    }
}
