using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>Vector and scalar forms of the activations, shared by every kernel that fuses one.</summary>
internal static class Activations
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Activation activation, Vector256<float> x) => activation switch
    {
        Activation.Relu => Avx.Max(x, Vector256<float>.Zero),
        // A constant, not a static field: a static's lazy-init helper call inside a hot loop makes the JIT
        // spill every live vector register around it.
        Activation.Relu6 => Avx.Min(Avx.Max(x, Vector256<float>.Zero), Vector256.Create(6f)),
        _ => x,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(Activation activation, float x) => activation switch
    {
        Activation.Relu => MathF.Max(x, 0f),
        Activation.Relu6 => MathF.Min(MathF.Max(x, 0f), 6f),
        _ => x,
    };
}
