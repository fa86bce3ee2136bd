using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>Activation and residual add over flat arrays (in place allowed: each element is read before it is written).</summary>
internal static unsafe class Elementwise
{
    private const long MinChunk = 1 << 16;

    public static void Activate(Activation activation, float* x, float* y, long length, int threads)
    {
        nint xs = (nint)x, ys = (nint)y;
        CpuParallel.ForRange(length, threads, MinChunk, (start, end) =>
        {
            float* xp = (float*)xs, yp = (float*)ys;
            long i = start;
            for (; i + 8 <= end; i += 8) Avx.Store(yp + i, Activations.Apply(activation, Avx.LoadVector256(xp + i)));
            for (; i < end; i++) yp[i] = Activations.Apply(activation, xp[i]);
        });
    }

    public static void Add(float* a, float* b, float* y, long length, Activation activation, int threads)
    {
        nint az = (nint)a, bz = (nint)b, yz = (nint)y;
        CpuParallel.ForRange(length, threads, MinChunk, (start, end) =>
        {
            float* ap = (float*)az, bp = (float*)bz, yp = (float*)yz;
            long i = start;
            for (; i + 8 <= end; i += 8)
                Avx.Store(yp + i, Activations.Apply(activation, Avx.LoadVector256(ap + i) + Avx.LoadVector256(bp + i)));
            for (; i < end; i++) yp[i] = Activations.Apply(activation, ap[i] + bp[i]);
        });
    }

    public static void Fill(float* y, long length, float value, int threads)
    {
        nint ys = (nint)y;
        CpuParallel.ForRange(length, threads, MinChunk, (start, end) =>
            new Span<float>((float*)ys + start, checked((int)(end - start))).Fill(value));
    }
}
