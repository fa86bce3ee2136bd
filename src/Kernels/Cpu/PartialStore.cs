using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Stores the first <c>count</c> (0..8) lanes of a vector. AMD cores microcode vmaskmovps stores (tens of
/// cycles each), so the tail is written as 4-, 2- and 1-lane pieces instead; no stack buffer, so it inlines.
/// </summary>
internal static unsafe class PartialStore
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* destination, Vector256<float> value, int count)
    {
        if (count >= 8)
        {
            Avx.Store(destination, value);
            return;
        }
        var part = value.GetLower();
        if (count >= 4)
        {
            Sse.Store(destination, part);
            destination += 4;
            count -= 4;
            part = value.GetUpper();
        }
        if (count >= 2)
        {
            Sse.StoreLow(destination, part);
            destination += 2;
            count -= 2;
            part = Sse.MoveHighToLow(part, part);
        }
        if (count == 1) Sse.StoreScalar(destination, part);
    }
}
