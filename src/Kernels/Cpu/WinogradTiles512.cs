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
}
