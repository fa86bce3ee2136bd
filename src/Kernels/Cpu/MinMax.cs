using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>Min/max reductions of x viewed as outer×channels×inner, per channel.</summary>
internal static unsafe class MinMax
{
    public static void PerChannel(long outer, int channels, long inner, float* x, float* min, float* max, int threads, CpuIsa isa)
    {
        nint xs = (nint)x, mins = (nint)min, maxs = (nint)max;
        if (channels >= threads || outer == 1)
        {
            CpuParallel.For(channels, threads, c =>
            {
                float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
                for (long o = 0; o < outer; o++)
                {
                    Range((float*)xs + (o * channels + c) * inner, inner, isa, out float l, out float h);
                    lo = MathF.Min(lo, l);
                    hi = MathF.Max(hi, h);
                }
                ((float*)mins)[c] = lo;
                ((float*)maxs)[c] = hi;
            });
            return;
        }
        // Few channels but many rows (per-tensor over a big batch): split the rows and merge.
        var partialLo = new float[threads * channels];
        var partialHi = new float[threads * channels];
        Array.Fill(partialLo, float.PositiveInfinity);
        Array.Fill(partialHi, float.NegativeInfinity);
        long perWorker = (outer + threads - 1) / threads;
        CpuParallel.For(threads, threads, t =>
        {
            long end = Math.Min(outer, (t + 1) * perWorker);
            for (long o = t * perWorker; o < end; o++)
                for (int c = 0; c < channels; c++)
                {
                    Range((float*)xs + (o * channels + c) * inner, inner, isa, out float l, out float h);
                    partialLo[t * channels + c] = MathF.Min(partialLo[t * channels + c], l);
                    partialHi[t * channels + c] = MathF.Max(partialHi[t * channels + c], h);
                }
        });
        for (int c = 0; c < channels; c++)
        {
            float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
            for (int t = 0; t < threads; t++)
            {
                lo = MathF.Min(lo, partialLo[t * channels + c]);
                hi = MathF.Max(hi, partialHi[t * channels + c]);
            }
            min[c] = lo;
            max[c] = hi;
        }
    }

    public static void Range(float* x, long length, CpuIsa isa, out float min, out float max)
    {
        if (isa == CpuIsa.Avx512)
        {
            RangeWide(x, length, out min, out max);
            return;
        }
        bool simd = isa.HasAvx2();
        var lo = Vector256.Create(float.PositiveInfinity);
        var hi = Vector256.Create(float.NegativeInfinity);
        long i = 0;
        for (; simd && i + 8 <= length; i += 8)
        {
            var v = Avx.LoadVector256(x + i);
            lo = Avx.Min(lo, v);
            hi = Avx.Max(hi, v);
        }
        float l = float.PositiveInfinity, h = float.NegativeInfinity;
        for (int j = 0; j < 8; j++)
        {
            l = MathF.Min(l, lo.GetElement(j));
            h = MathF.Max(h, hi.GetElement(j));
        }
        for (; i < length; i++)
        {
            l = MathF.Min(l, x[i]);
            h = MathF.Max(h, x[i]);
        }
        min = l;
        max = h;
    }

    /// <summary>
    /// <see cref="Range"/> 16 lanes at a time; the last partial vector is loaded masked with +∞ (for the minimum) and −∞
    /// (for the maximum) in the lanes past the end, so it joins the same two reductions.
    /// </summary>
    private static void RangeWide(float* x, long length, out float min, out float max)
    {
        var lo = Vector512.Create(float.PositiveInfinity);
        var hi = Vector512.Create(float.NegativeInfinity);
        long i = 0;
        for (; i + 16 <= length; i += 16)
        {
            var v = Avx512F.LoadVector512(x + i);
            lo = Avx512F.Min(lo, v);
            hi = Avx512F.Max(hi, v);
        }
        if (i < length)
        {
            var tail = TailMask512.First(length - i);
            lo = Avx512F.Min(lo, Avx512F.MaskLoad(x + i, tail, Vector512.Create(float.PositiveInfinity)));
            hi = Avx512F.Max(hi, Avx512F.MaskLoad(x + i, tail, Vector512.Create(float.NegativeInfinity)));
        }
        float l = float.PositiveInfinity, h = float.NegativeInfinity;
        for (int j = 0; j < 16; j++)
        {
            l = MathF.Min(l, lo.GetElement(j));
            h = MathF.Max(h, hi.GetElement(j));
        }
        min = l;
        max = h;
    }

    public static float AbsMax(float* x, long length, CpuIsa isa)
    {
        if (isa == CpuIsa.Avx512) return AbsMaxWide(x, length);
        bool simd = isa.HasAvx2();
        var mask = Vector256.Create(0x7fffffff).AsSingle();
        var acc = Vector256<float>.Zero;
        long i = 0;
        for (; simd && i + 8 <= length; i += 8) acc = Avx.Max(acc, Avx.And(Avx.LoadVector256(x + i), mask));
        float m = 0f;
        for (int j = 0; j < 8; j++) m = MathF.Max(m, acc.GetElement(j));
        for (; i < length; i++) m = MathF.Max(m, MathF.Abs(x[i]));
        return m;
    }

    /// <summary><see cref="AbsMax"/> 16 lanes at a time; the lanes past the end of the last vector load as 0.</summary>
    private static float AbsMaxWide(float* x, long length)
    {
        var mask = Vector512.Create(0x7fffffff).AsSingle();
        var acc = Vector512<float>.Zero;
        long i = 0;
        for (; i + 16 <= length; i += 16) acc = Avx512F.Max(acc, Avx512F.LoadVector512(x + i) & mask);
        if (i < length) acc = Avx512F.Max(acc, Avx512F.MaskLoad(x + i, TailMask512.First(length - i), Vector512<float>.Zero) & mask);
        float m = 0f;
        for (int j = 0; j < 16; j++) m = MathF.Max(m, acc.GetElement(j));
        return m;
    }
}
