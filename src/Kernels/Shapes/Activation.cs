namespace Ompq.Kernels;

public enum Activation
{
    None = 0,
    Relu = 1,
    /// <summary>min(max(x, 0), 6), as MobileNetV2 uses.</summary>
    Relu6 = 2,
}
