using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Straight-through backward of fake quantization: the gradient passes where the forward's clamp did not bind,
/// i.e. qmin ≤ round(x/scale) + zp ≤ qmax (torch's fake_quantize cachemask), else 0. Dividing and rounding exactly
/// as the forward does keeps the mask consistent with it: an element that reaches the grid's end only by rounding
/// (the channel's largest weight, w/scale = qmax·(1 + ε)) still gets its gradient.
/// </summary>
internal static unsafe class FakeQuantBackward
{
    private const long MinChunk = 1 << 16;

    public static void PerTensor(QuantParams quant, float* x, float* dy, float* dx, long length, int threads, CpuIsa isa)
    {
        bool simd = isa.HasAvx2();
        var grid = new FakeQuant.Grid(quant);
        nint xs = (nint)x, dys = (nint)dy, dxs = (nint)dx;
        CpuParallel.ForRange(length, threads, MinChunk, (start, end) =>
            Masked(grid, (float*)xs + start, (float*)dys + start, (float*)dxs + start, end - start, simd));
    }

    public static void WeightsPerChannel(int channels, long perChannel, int bits, float* w, float* scales, float* dy, float* dw, int threads,
        CpuIsa isa)
    {
        bool simd = isa.HasAvx2();
        int qmax = (1 << (bits - 1)) - 1;
        nint ws = (nint)w, ss = (nint)scales, dys = (nint)dy, dws = (nint)dw;
        CpuParallel.For(channels, threads, c =>
        {
            long offset = c * perChannel;
            var grid = new FakeQuant.Grid(new QuantParams(((float*)ss)[c], 0, -qmax - 1, qmax));
            Masked(grid, (float*)ws + offset, (float*)dys + offset, (float*)dws + offset, perChannel, simd);
        });
    }

    /// <summary>dx = dy where x is inside the grid; reads each element before writing it, so dx may alias dy.</summary>
    private static void Masked(in FakeQuant.Grid grid, float* x, float* dy, float* dx, long length, bool simd)
    {
        long i = 0;
        for (; simd && i + 8 <= length; i += 8)
            Avx.Store(dx + i, Avx.And(Avx.LoadVector256(dy + i), grid.Unclamped(Avx.LoadVector256(x + i))));
        for (; i < length; i++) dx[i] = grid.Unclamped(x[i]) ? dy[i] : 0f;
    }
}
