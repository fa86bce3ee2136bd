using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Activation, residual add and their gradient counterparts over flat arrays (in place allowed: each element is read before
/// it is written). The portable path runs the scalar loops that finish the vector ones; on AVX-512 the forward ops run
/// 16 lanes at a time and finish with one masked vector.
/// </summary>
internal static unsafe class Elementwise
{
    private const long MinChunk = 1 << 16;

    public static void Activate(Activation activation, float* x, float* y, long length, int threads, CpuIsa isa)
    {
        bool simd = isa.HasAvx2(), wide = isa == CpuIsa.Avx512;
        nint xs = (nint)x, ys = (nint)y;
        CpuParallel.ForRange(length, threads, MinChunk, (start, end) =>
        {
            float* xp = (float*)xs, yp = (float*)ys;
            long i = start;
            if (wide)
            {
                for (; i + 16 <= end; i += 16) Avx512F.Store(yp + i, Activations.Apply(activation, Avx512F.LoadVector512(xp + i)));
                if (i == end) return;
                var tail = TailMask512.First(end - i);
                Avx512F.MaskStore(yp + i, tail, Activations.Apply(activation, Avx512F.MaskLoad(xp + i, tail, Vector512<float>.Zero)));
                return;
            }
            for (; simd && i + 8 <= end; i += 8) Avx.Store(yp + i, Activations.Apply(activation, Avx.LoadVector256(xp + i)));
            for (; i < end; i++) yp[i] = Activations.Apply(activation, xp[i]);
        });
    }

    public static void Add(float* a, float* b, float* y, long length, Activation activation, int threads, CpuIsa isa)
    {
        bool simd = isa.HasAvx2(), wide = isa == CpuIsa.Avx512;
        nint az = (nint)a, bz = (nint)b, yz = (nint)y;
        CpuParallel.ForRange(length, threads, MinChunk, (start, end) =>
        {
            float* ap = (float*)az, bp = (float*)bz, yp = (float*)yz;
            long i = start;
            if (wide)
            {
                for (; i + 16 <= end; i += 16)
                    Avx512F.Store(yp + i, Activations.Apply(activation, Avx512F.LoadVector512(ap + i) + Avx512F.LoadVector512(bp + i)));
                if (i == end) return;
                var tail = TailMask512.First(end - i);
                var sum = Avx512F.MaskLoad(ap + i, tail, Vector512<float>.Zero) + Avx512F.MaskLoad(bp + i, tail, Vector512<float>.Zero);
                Avx512F.MaskStore(yp + i, tail, Activations.Apply(activation, sum));
                return;
            }
            for (; simd && i + 8 <= end; i += 8)
                Avx.Store(yp + i, Activations.Apply(activation, Avx.LoadVector256(ap + i) + Avx.LoadVector256(bp + i)));
            for (; i < end; i++) yp[i] = Activations.Apply(activation, ap[i] + bp[i]);
        });
    }

    public static void ActivateBackward(Activation activation, float* y, float* dy, float* dx, long length, int threads, CpuIsa isa)
    {
        bool simd = isa.HasAvx2();
        nint ys = (nint)y, dys = (nint)dy, dxs = (nint)dx;
        CpuParallel.ForRange(length, threads, MinChunk, (start, end) =>
        {
            float* yp = (float*)ys, gp = (float*)dys, dp = (float*)dxs;
            long i = start;
            for (; simd && i + 8 <= end; i += 8)
                Avx.Store(dp + i, Activations.Gradient(activation, Avx.LoadVector256(yp + i), Avx.LoadVector256(gp + i)));
            for (; i < end; i++) dp[i] = Activations.Gradient(activation, yp[i], gp[i]);
        });
    }

    /// <summary>y = alpha·x + y, one fused multiply-add per element (as torch's vectorized add with alpha).</summary>
    public static void Axpy(float alpha, float* x, float* y, long length, int threads, CpuIsa isa)
    {
        bool simd = isa.HasAvx2();
        nint xs = (nint)x, ys = (nint)y;
        CpuParallel.ForRange(length, threads, MinChunk, (start, end) =>
        {
            float* xp = (float*)xs, yp = (float*)ys;
            var a = Vector256.Create(alpha);
            long i = start;
            for (; simd && i + 8 <= end; i += 8) Avx.Store(yp + i, Fma.MultiplyAdd(a, Avx.LoadVector256(xp + i), Avx.LoadVector256(yp + i)));
            for (; i < end; i++) yp[i] = MathF.FusedMultiplyAdd(alpha, xp[i], yp[i]);
        });
    }

    public static void Fill(float* y, long length, float value, int threads)
    {
        nint ys = (nint)y;
        CpuParallel.ForRange(length, threads, MinChunk, (start, end) =>
            new Span<float>((float*)ys + start, checked((int)(end - start))).Fill(value));
    }
}
