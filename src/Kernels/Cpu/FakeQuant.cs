using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Fake quantization: q = clamp(round(x/scale) + zp, qmin, qmax), y = (q − zp)·scale, round half to even
/// (torch.round). Division (not multiplication by 1/scale) so ties land exactly where torch puts them.
/// </summary>
internal static unsafe class FakeQuant
{
    /// <summary>Per-tensor grid in vector form, prepared once per call.</summary>
    internal readonly struct Grid
    {
        public readonly Vector256<float> Scale, ZeroPoint, Low, High;
        public readonly float ScaleS, ZeroPointS, LowS, HighS;

        public Grid(QuantParams q)
        {
            ScaleS = q.Scale;
            ZeroPointS = q.ZeroPoint;
            LowS = q.QMin;
            HighS = q.QMax;
            Scale = Vector256.Create(ScaleS);
            ZeroPoint = Vector256.Create(ZeroPointS);
            Low = Vector256.Create(LowS);
            High = Vector256.Create(HighS);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Apply(Vector256<float> x)
        {
            var q = Avx.RoundToNearestInteger(Avx.Divide(x, Scale)) + ZeroPoint;
            q = Avx.Min(Avx.Max(q, Low), High);
            return (q - ZeroPoint) * Scale;
        }

        /// <summary>
        /// All-ones lanes where the clamp of <see cref="Apply(Vector256{float})"/> does not bind: the straight-through
        /// gradient's pass mask (ordered compares, so a NaN quotient, e.g. 0/0 with a zero scale, passes nothing).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Unclamped(Vector256<float> x)
        {
            var q = Avx.RoundToNearestInteger(Avx.Divide(x, Scale)) + ZeroPoint;
            return Avx.And(Avx.CompareGreaterThanOrEqual(q, Low), Avx.CompareLessThanOrEqual(q, High));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Unclamped(float x)
        {
            float q = MathF.Round(x / ScaleS, MidpointRounding.ToEven) + ZeroPointS;
            return q >= LowS && q <= HighS;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Apply(float x)
        {
            float q = MathF.Round(x / ScaleS, MidpointRounding.ToEven) + ZeroPointS;
            q = MathF.Min(MathF.Max(q, LowS), HighS);
            return (q - ZeroPointS) * ScaleS;
        }
    }

    /// <summary>
    /// The 512-bit form of <see cref="Grid"/>: the same divide, round half to even (vrndscaleps, nearest) and clamp,
    /// so both widths give the same value for every element.
    /// </summary>
    internal readonly struct Grid512
    {
        /// <summary>vrndscaleps immediate: round to nearest even, precision exception suppressed (as roundps 8).</summary>
        private const byte NearestEven = 0x08;

        public readonly Vector512<float> Scale, ZeroPoint, Low, High;

        public Grid512(QuantParams q)
        {
            Scale = Vector512.Create(q.Scale);
            ZeroPoint = Vector512.Create((float)q.ZeroPoint);
            Low = Vector512.Create((float)q.QMin);
            High = Vector512.Create((float)q.QMax);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Apply(Vector512<float> x)
        {
            var q = Avx512F.RoundScale(Avx512F.Divide(x, Scale), NearestEven) + ZeroPoint;
            q = Avx512F.Min(Avx512F.Max(q, Low), High);
            return (q - ZeroPoint) * Scale;
        }
    }

    public static void PerTensor(QuantParams quant, float* x, float* y, long length, int threads, CpuIsa isa)
    {
        bool simd = isa.HasAvx2(), wide = isa == CpuIsa.Avx512;
        var grid = new Grid(quant);
        var wideGrid = wide ? new Grid512(quant) : default;
        nint xs = (nint)x, ys = (nint)y;
        CpuParallel.ForRange(length, threads, 1 << 16, (start, end) =>
        {
            float* xp = (float*)xs, yp = (float*)ys;
            long i = start;
            if (wide)
            {
                Apply(wideGrid, xp + i, yp + i, end - i);
                return;
            }
            for (; simd && i + 8 <= end; i += 8) Avx.Store(yp + i, grid.Apply(Avx.LoadVector256(xp + i)));
            for (; i < end; i++) yp[i] = grid.Apply(xp[i]);
        });
    }

    /// <summary>Symmetric per-channel weight fake quant; a channel of zeros gets scale 1 and stays zero.</summary>
    public static void WeightsPerChannel(int channels, long perChannel, int bits, float* w, float* y, float* scales, int threads, CpuIsa isa)
    {
        bool simd = isa.HasAvx2(), wide = isa == CpuIsa.Avx512;
        int qmax = (1 << (bits - 1)) - 1;
        nint ws = (nint)w, ys = (nint)y, ss = (nint)scales;
        CpuParallel.For(channels, threads, c =>
        {
            float* wc = (float*)ws + c * perChannel, yc = (float*)ys + c * perChannel;
            float absMax = MinMax.AbsMax(wc, perChannel, isa);
            float scale = absMax > 0 ? absMax / qmax : 1f;
            if (ss != 0) ((float*)ss)[c] = scale;
            var quant = new QuantParams(scale, 0, -qmax - 1, qmax);
            if (wide)
            {
                Apply(new Grid512(quant), wc, yc, perChannel);
                return;
            }
            var grid = new Grid(quant);
            long i = 0;
            for (; simd && i + 8 <= perChannel; i += 8) Avx.Store(yc + i, grid.Apply(Avx.LoadVector256(wc + i)));
            for (; i < perChannel; i++) yc[i] = grid.Apply(wc[i]);
        });
    }

    /// <summary>y = grid(x) over a run, 16 lanes at a time, the last partial vector masked.</summary>
    private static void Apply(in Grid512 grid, float* x, float* y, long length)
    {
        long i = 0;
        for (; i + 16 <= length; i += 16) Avx512F.Store(y + i, grid.Apply(Avx512F.LoadVector512(x + i)));
        if (i == length) return;
        var tail = TailMask512.First(length - i);
        Avx512F.MaskStore(y + i, tail, grid.Apply(Avx512F.MaskLoad(x + i, tail, Vector512<float>.Zero)));
    }
}
