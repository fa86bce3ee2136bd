using ILGPU.Algorithms;

namespace Ompq.Kernels.Ilgpu;

/// <summary>
/// The <see cref="Epilogue"/> as plain numbers a kernel can take: an activation code, then optional per-tensor fake
/// quantization. Producing kernels apply it to each value just before the store.
/// </summary>
internal readonly struct EpilogueArgs
{
    public readonly int Activation;
    public readonly int Quantize;
    public readonly QuantArgs Quant;

    public EpilogueArgs(int activation, int quantize, QuantArgs quant)
    {
        Activation = activation;
        Quantize = quantize;
        Quant = quant;
    }

    public static EpilogueArgs From(in Epilogue epilogue)
    {
        CheckActivation(epilogue.Activation);
        if (epilogue.OutputQuant is not { } quant) return new((int)epilogue.Activation, 0, default);
        return new((int)epilogue.Activation, 1, QuantArgs.From(quant));
    }

    public static void CheckActivation(Activation activation)
    {
        if (activation is not (Kernels.Activation.None or Kernels.Activation.Relu or Kernels.Activation.Relu6))
            throw new KernelArgumentException($"unknown activation {(int)activation}");
    }

    public static float Apply(EpilogueArgs epilogue, float value)
    {
        float activated = Activate(epilogue.Activation, value);
        return epilogue.Quantize != 0 ? QuantArgs.FakeQuant(epilogue.Quant, activated) : activated;
    }

    /// <summary>Comparisons rather than fmaxf/fminf, which return the non-NaN operand: NaN propagates as in torch.relu.</summary>
    public static float Activate(int activation, float value)
    {
        if (activation == 1) return value <= 0f ? 0f : value;
        if (activation == 2) return value <= 0f ? 0f : value >= 6f ? 6f : value;
        return value;
    }
}

/// <summary>A per-tensor affine quantization grid as kernel arguments (see <see cref="QuantParams"/>).</summary>
internal readonly struct QuantArgs
{
    public readonly float Scale;
    public readonly float ZeroPoint;
    public readonly float QMin;
    public readonly float QMax;

    public QuantArgs(float scale, float zeroPoint, float qMin, float qMax)
    {
        Scale = scale;
        ZeroPoint = zeroPoint;
        QMin = qMin;
        QMax = qMax;
    }

    public static QuantArgs From(in QuantParams quant)
    {
        quant.Validate();
        return new(quant.Scale, quant.ZeroPoint, quant.QMin, quant.QMax);
    }

    /// <summary>(clamp(round(x/scale) + zp, qmin, qmax) − zp)·scale with round half to even, as torch.round.</summary>
    public static float FakeQuant(QuantArgs quant, float value)
    {
        float q = XMath.RoundToEven(value / quant.Scale) + quant.ZeroPoint;
        q = XMath.Min(XMath.Max(q, quant.QMin), quant.QMax);
        return (q - quant.ZeroPoint) * quant.Scale;
    }
}
