using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>Vector and scalar forms of the activations and their gradients, shared by every kernel that fuses one.</summary>
internal static class Activations
{
    /// <summary>
    /// NaN propagates, as in torch.relu: maxps/minps return their second operand when either is NaN, so x goes
    /// second (a NaN that vanished here would hide a diverged training run behind a finite loss).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Activation activation, Vector256<float> x) => activation switch
    {
        Activation.Relu => Avx.Max(Vector256<float>.Zero, x),
        // A constant, not a static field: a static's lazy-init helper call inside a hot loop makes the JIT
        // spill every live vector register around it.
        Activation.Relu6 => Avx.Min(Vector256.Create(6f), Avx.Max(Vector256<float>.Zero, x)),
        _ => x,
    };

    /// <summary>The 512-bit form of <see cref="Apply(Activation, Vector256{float})"/>, same operand order for NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Activation activation, Vector512<float> x) => activation switch
    {
        Activation.Relu => Avx512F.Max(Vector512<float>.Zero, x),
        Activation.Relu6 => Avx512F.Min(Vector512.Create(6f), Avx512F.Max(Vector512<float>.Zero, x)),
        _ => x,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(Activation activation, float x) => activation switch
    {
        Activation.Relu => MathF.Max(x, 0f),
        Activation.Relu6 => MathF.Min(MathF.Max(x, 0f), 6f),
        _ => x,
    };

    /// <summary>
    /// dy where the activation's output y is inside its linear range, else 0. Tested as "not at or beyond a bound",
    /// as torch's threshold_backward and hardtanh_backward do, so a NaN output passes its gradient on.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Gradient(Activation activation, Vector256<float> y, Vector256<float> dy) => activation switch
    {
        Activation.Relu => Avx.And(dy, Avx.CompareNotLessThanOrEqual(y, Vector256<float>.Zero)),
        Activation.Relu6 => Avx.And(dy, Avx.And(Avx.CompareNotLessThanOrEqual(y, Vector256<float>.Zero),
            Avx.CompareNotGreaterThanOrEqual(y, Vector256.Create(6f)))),
        _ => dy,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Gradient(Activation activation, float y, float dy) => activation switch
    {
        Activation.Relu => y <= 0f ? 0f : dy,
        Activation.Relu6 => y <= 0f || y >= 6f ? 0f : dy,
        _ => dy,
    };
}
