using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// The AVX-512 Winograd input and output transforms of one plane, for the plane shapes they fit (null where none does:
/// the SSE/scalar transforms in <see cref="WinogradConv"/> run then). Built once per call, used by every worker.
/// </summary>
internal abstract unsafe class WinogradTiles512
{
    public static bool Fits(in Conv2dShape s, int tilesH, int tilesW, CpuIsa isa)
        => isa == CpuIsa.Avx512 && (WinogradPlane512.Fits(s, tilesH, tilesW) || WinogradRows512.Fits(s, tilesW));

    public static WinogradTiles512? For(in Conv2dShape s, int tilesH, int tilesW, CpuIsa isa)
    {
        if (isa != CpuIsa.Avx512) return null;
        if (WinogradPlane512.Fits(s, tilesH, tilesW)) return new WinogradPlane512(s, tilesH, tilesW);
        if (WinogradRows512.Fits(s, tilesW)) return new WinogradRows512(s, tilesH, tilesW);
        return null;
    }

    /// <summary>V_ξ of one input plane's tiles (tile t at v + ξ·points + t).</summary>
    public abstract void Input(float* plane, float* v, long points);

    /// <summary>One output plane from its tiles' points (tile t at m + ξ·points + t), before bias and epilogue.</summary>
    public abstract void Output(float* m, long points, float* y);

    /// <summary>One row (x0..x3) of Bᵀ·d times B, [x0 − x2, x1 + x2, x2 − x1, x1 − x3], to 4 consecutive points (the tiles in <c>lanes</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static void InputRow(float* o, long points, Vector512<float> lanes, Vector512<float> x0, Vector512<float> x1, Vector512<float> x2,
        Vector512<float> x3)
    {
        Avx512F.MaskStore(o, lanes, x0 - x2);
        Avx512F.MaskStore(o + points, lanes, x1 + x2);
        Avx512F.MaskStore(o + 2 * points, lanes, x2 - x1);
        Avx512F.MaskStore(o + 3 * points, lanes, x1 - x3);
    }

    /// <summary>Column j of Aᵀ·M for the tiles in <c>lanes</c>: row 0 = M0j + M1j + M2j, row 1 = M1j − M2j − M3j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static void OutputColumn(float* m, long points, int j, Vector512<float> lanes, out Vector512<float> row0, out Vector512<float> row1)
    {
        var m0 = Avx512F.MaskLoad(m + j * points, lanes, Vector512<float>.Zero);
        var m1 = Avx512F.MaskLoad(m + (4 + j) * points, lanes, Vector512<float>.Zero);
        var m2 = Avx512F.MaskLoad(m + (8 + j) * points, lanes, Vector512<float>.Zero);
        var m3 = Avx512F.MaskLoad(m + (12 + j) * points, lanes, Vector512<float>.Zero);
        row0 = m0 + m1 + m2;
        row1 = m1 - m2 - m3;
    }
}
