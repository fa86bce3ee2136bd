using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Stores the first <c>count</c> lanes of a vector. AMD cores microcode vmaskmovps stores (tens of cycles
/// each), so the tail goes through the stack and a short scalar copy instead.
/// </summary>
internal static unsafe class PartialStore
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* destination, Vector256<float> value, int count)
    {
        float* lanes = stackalloc float[8];
        value.Store(lanes);
        for (int i = 0; i < count; i++) destination[i] = lanes[i];
    }
}
