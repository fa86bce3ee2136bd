namespace Ompq.Kernels;

/// <summary>
/// Work fused into the end of a producing kernel (conv, linear) so the output is written once:
/// an activation, then optionally per-tensor fake quantization of the activated output.
/// </summary>
public readonly record struct Epilogue(Activation Activation = Activation.None, QuantParams? OutputQuant = null)
{
    public static Epilogue None => default;
    public static Epilogue Relu => new(Activation.Relu);
    public static Epilogue Relu6 => new(Activation.Relu6);
}
