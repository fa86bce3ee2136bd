using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Ompq.Kernels.Ilgpu;

internal readonly struct SgdArgs
{
    public readonly float Lr, Momentum, WeightDecay;
    public readonly int Nesterov, FirstStep;

    public SgdArgs(in SgdStep step)
    {
        Lr = step.Lr; Momentum = step.Momentum; WeightDecay = step.WeightDecay;
        Nesterov = step.Nesterov ? 1 : 0;
        FirstStep = step.FirstStep ? 1 : 0;
    }
}

/// <summary>Adam's per-step scalars, computed once on the host in double as torch computes them in Python.</summary>
internal readonly struct AdamArgs
{
    public readonly float Beta1, Beta2, Eps, WeightDecay;
    public readonly int Decoupled;
    /// <summary>lr / (1 − β1^step).</summary>
    public readonly float StepSize;
    /// <summary>√(1 − β2^step).</summary>
    public readonly float SecondMomentCorrection;
    /// <summary>1 − lr·weightDecay (AdamW's decoupled decay).</summary>
    public readonly float DecayFactor;

    public AdamArgs(in AdamStep step)
    {
        Beta1 = step.Beta1; Beta2 = step.Beta2; Eps = step.Eps; WeightDecay = step.WeightDecay;
        Decoupled = step.Decoupled ? 1 : 0;
        StepSize = (float)(step.Lr / (1 - Math.Pow(step.Beta1, step.Step)));
        SecondMomentCorrection = (float)Math.Sqrt(1 - Math.Pow(step.Beta2, step.Step));
        DecayFactor = (float)(1 - (double)step.Lr * step.WeightDecay);
    }
}

/// <summary>
/// Optimizer updates as one fused pass per parameter tensor, one thread per element, in torch.optim's operation
/// order (single-tensor implementation) so results agree to rounding.
/// </summary>
internal static class OptimizerStepKernels
{
    public static void Sgd(Index1D index, ArrayView<float> param, ArrayView<float> grad, ArrayView<float> momentumBuffer, SgdArgs p)
    {
        float value = param[index];
        float g = grad[index];
        // Skipped at zero decay as torch does, so an infinite parameter does not turn the gradient into NaN.
        if (p.WeightDecay != 0f) g += p.WeightDecay * value;
        if (p.Momentum != 0f)
        {
            float buffer = p.FirstStep != 0 ? g : p.Momentum * momentumBuffer[index] + g;
            momentumBuffer[index] = buffer;
            g = p.Nesterov != 0 ? g + p.Momentum * buffer : buffer;
        }
        param[index] = value - p.Lr * g;
    }

    public static void Adam(Index1D index, ArrayView<float> param, ArrayView<float> grad, ArrayView<float> m, ArrayView<float> v, AdamArgs p)
    {
        float value = param[index];
        float g = grad[index];
        if (p.Decoupled != 0) value *= p.DecayFactor;
        else if (p.WeightDecay != 0f) g += p.WeightDecay * value;
        // torch: exp_avg.lerp_(grad, 1 − β1), exp_avg_sq.mul_(β2).addcmul_(grad, grad, 1 − β2).
        float firstMoment = m[index];
        firstMoment += (1f - p.Beta1) * (g - firstMoment);
        float secondMoment = v[index] * p.Beta2 + (1f - p.Beta2) * g * g;
        m[index] = firstMoment;
        v[index] = secondMoment;
        float denominator = XMath.Sqrt(secondMoment) / p.SecondMomentCorrection + p.Eps;
        param[index] = value - p.StepSize * (firstMoment / denominator);
    }
}

internal sealed class OptimizerStepLauncher
{
    private readonly IlgpuKernels _owner;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, SgdArgs> _sgd;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamArgs> _adam;

    public OptimizerStepLauncher(IlgpuKernels owner)
    {
        _owner = owner;
        var accelerator = owner.Accelerator;
        _sgd = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, SgdArgs>(OptimizerStepKernels.Sgd);
        _adam = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamArgs>(OptimizerStepKernels.Adam);
    }

    public void Sgd(in SgdStep step, BufferSlice param, BufferSlice grad, BufferSlice momentumBuffer, long length)
    {
        TrainingArguments.SgdStep(step, param, grad, momentumBuffer, length);
        ElementwiseLauncher.CheckLength(length);
        bool usesBuffer = step.Momentum != 0;
        if (length == 0) return;
        // Without momentum the buffer may be any slice, even of another backend: the kernel gets the dummy instead.
        var buffer = usesBuffer ? _owner.View(momentumBuffer, "momentumBuffer") : _owner.Dummy;
        _sgd((int)length, _owner.View(param, "param"), _owner.View(grad, "grad"), buffer, new SgdArgs(step));
    }

    public void Adam(in AdamStep step, BufferSlice param, BufferSlice grad, BufferSlice m, BufferSlice v, long length)
    {
        TrainingArguments.AdamStep(step, param, grad, m, v, length);
        ElementwiseLauncher.CheckLength(length);
        if (length == 0) return;
        _adam((int)length, _owner.View(param, "param"), _owner.View(grad, "grad"), _owner.View(m, "m"), _owner.View(v, "v"), new AdamArgs(step));
    }
}
