using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// The first <c>count</c> (0..16) lanes of a 512-bit vector, for the masked load and store that finish a loop: one
/// vector op instead of up to 15 scalar ones (masked-off lanes are neither read nor written).
/// </summary>
internal static class TailMask512
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> First(long count) => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create((int)count)).AsSingle();
}
