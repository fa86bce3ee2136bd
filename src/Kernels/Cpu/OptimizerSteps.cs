using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// SGD and Adam/AdamW updates, one fused pass over a parameter tensor and its state. The arithmetic follows
/// torch.optim's single-tensor code step by step (weight decay only when non-zero, Adam's denominator
/// √v/√(1 − β2^t) + eps), with fused multiply-adds where torch's vectorized kernels use them.
/// </summary>
internal static unsafe class OptimizerSteps
{
    private const long MinChunk = 1 << 15;

    public static void Sgd(SgdStep step, float* param, float* grad, float* buffer, long length, int threads, CpuIsa isa)
    {
        bool simd = isa.HasAvx2();
        nint ps = (nint)param, gs = (nint)grad, bs = (nint)buffer;
        CpuParallel.ForRange(length, threads, MinChunk, (start, end) =>
            SgdRange(step, (float*)ps + start, (float*)gs + start, (float*)bs + start, end - start, simd));
    }

    private static void SgdRange(in SgdStep step, float* p, float* grad, float* buffer, long length, bool simd)
    {
        bool decay = step.WeightDecay != 0, momentum = step.Momentum != 0, first = step.FirstStep, nesterov = step.Nesterov;
        var wd = Vector256.Create(step.WeightDecay);
        var mu = Vector256.Create(step.Momentum);
        var negativeLr = Vector256.Create(-step.Lr);
        long i = 0;
        for (; simd && i + 8 <= length; i += 8)
        {
            var param = Avx.LoadVector256(p + i);
            var g = Avx.LoadVector256(grad + i);
            if (decay) g = Fma.MultiplyAdd(wd, param, g);
            if (momentum)
            {
                var buf = first ? g : Fma.MultiplyAdd(mu, Avx.LoadVector256(buffer + i), g);
                Avx.Store(buffer + i, buf);
                g = nesterov ? Fma.MultiplyAdd(mu, buf, g) : buf;
            }
            Avx.Store(p + i, Fma.MultiplyAdd(negativeLr, g, param));
        }
        for (; i < length; i++)
        {
            float param = p[i], g = grad[i];
            if (decay) g = MathF.FusedMultiplyAdd(step.WeightDecay, param, g);
            if (momentum)
            {
                float buf = first ? g : MathF.FusedMultiplyAdd(step.Momentum, buffer[i], g);
                buffer[i] = buf;
                g = nesterov ? MathF.FusedMultiplyAdd(step.Momentum, buf, g) : buf;
            }
            p[i] = MathF.FusedMultiplyAdd(-step.Lr, g, param);
        }
    }

    public static void Adam(AdamStep step, float* param, float* grad, float* m, float* v, long length, int threads, CpuIsa isa)
    {
        bool simd = isa.HasAvx2();
        var coefficients = new AdamCoefficients(step);
        nint ps = (nint)param, gs = (nint)grad, ms = (nint)m, vs = (nint)v;
        CpuParallel.ForRange(length, threads, MinChunk, (start, end) =>
            AdamRange(coefficients, (float*)ps + start, (float*)gs + start, (float*)ms + start, (float*)vs + start, end - start, simd));
    }

    /// <summary>The per-step scalars, computed in double as torch computes its Python floats.</summary>
    private readonly struct AdamCoefficients
    {
        public readonly bool CoupledDecay, DecoupledDecay;
        public readonly float WeightDecay, ParamScale, OneMinusBeta1, Beta2, OneMinusBeta2, BiasCorrection2Sqrt, Eps, NegativeStepSize;

        public AdamCoefficients(AdamStep step)
        {
            CoupledDecay = step.WeightDecay != 0 && !step.Decoupled;
            DecoupledDecay = step.WeightDecay != 0 && step.Decoupled;
            WeightDecay = step.WeightDecay;
            ParamScale = (float)(1 - (double)step.Lr * step.WeightDecay);
            OneMinusBeta1 = (float)(1 - (double)step.Beta1);
            Beta2 = step.Beta2;
            OneMinusBeta2 = (float)(1 - (double)step.Beta2);
            BiasCorrection2Sqrt = (float)Math.Sqrt(1 - Math.Pow(step.Beta2, step.Step));
            Eps = step.Eps;
            NegativeStepSize = (float)(-step.Lr / (1 - Math.Pow(step.Beta1, step.Step)));
        }
    }

    private static void AdamRange(in AdamCoefficients k, float* p, float* grad, float* m, float* v, long length, bool simd)
    {
        var wd = Vector256.Create(k.WeightDecay);
        var paramScale = Vector256.Create(k.ParamScale);
        var oneMinusBeta1 = Vector256.Create(k.OneMinusBeta1);
        var beta2 = Vector256.Create(k.Beta2);
        var oneMinusBeta2 = Vector256.Create(k.OneMinusBeta2);
        var correction = Vector256.Create(k.BiasCorrection2Sqrt);
        var eps = Vector256.Create(k.Eps);
        var negativeStep = Vector256.Create(k.NegativeStepSize);
        long i = 0;
        for (; simd && i + 8 <= length; i += 8)
        {
            var param = Avx.LoadVector256(p + i);
            var g = Avx.LoadVector256(grad + i);
            if (k.DecoupledDecay) param *= paramScale;
            if (k.CoupledDecay) g = Fma.MultiplyAdd(wd, param, g);
            var mean = Avx.LoadVector256(m + i);
            // m.lerp_(g, 1 − β1) = m + (1 − β1)·(g − m)
            mean = Fma.MultiplyAdd(oneMinusBeta1, g - mean, mean);
            var square = Fma.MultiplyAdd(oneMinusBeta2, g * g, Avx.LoadVector256(v + i) * beta2);
            Avx.Store(m + i, mean);
            Avx.Store(v + i, square);
            var denominator = Avx.Divide(Avx.Sqrt(square), correction) + eps;
            Avx.Store(p + i, Fma.MultiplyAdd(negativeStep, Avx.Divide(mean, denominator), param));
        }
        for (; i < length; i++)
        {
            float param = p[i], g = grad[i];
            if (k.DecoupledDecay) param *= k.ParamScale;
            if (k.CoupledDecay) g = MathF.FusedMultiplyAdd(k.WeightDecay, param, g);
            float mean = MathF.FusedMultiplyAdd(k.OneMinusBeta1, g - m[i], m[i]);
            float square = MathF.FusedMultiplyAdd(k.OneMinusBeta2, g * g, v[i] * k.Beta2);
            m[i] = mean;
            v[i] = square;
            float denominator = MathF.Sqrt(square) / k.BiasCorrection2Sqrt + k.Eps;
            p[i] = MathF.FusedMultiplyAdd(k.NegativeStepSize, mean / denominator, param);
        }
    }
}
