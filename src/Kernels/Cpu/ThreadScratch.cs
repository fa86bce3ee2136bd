using System.Runtime.InteropServices;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Per-thread aligned scratch (packed GEMM panels, padded planes, Gram partial sums) that grows to the largest request and is
/// then reused, so kernels neither allocate nor page-fault on every call. Each slot is independent so one
/// kernel can hold several scratch areas at once.
/// </summary>
internal static unsafe class ThreadScratch
{
    public const int Slots = 6;

    /// <summary>Slot for an operand packed once by the op's calling thread and shared by its workers (conv weights).</summary>
    public const int SharedOperand = 3;

    /// <summary>
    /// Slot for a training op's own operand held by the calling thread while workers run (flipped conv weights passed
    /// to a forward kernel, per-chunk partial sums); no forward kernel uses it.
    /// </summary>
    public const int TransformedOperand = 4;

    /// <summary>Slot for a dense GEMM's left operand, packed once by the calling thread's GEMM and read by all its workers.</summary>
    public const int GemmLeftOperand = 5;

    [ThreadStatic] private static nint[]? blocks;
    [ThreadStatic] private static long[]? capacities;

    /// <summary>Returns at least <paramref name="length"/> floats, 64-byte aligned, valid until this thread asks for the same slot again.</summary>
    public static float* Get(int slot, long length)
    {
        blocks ??= new nint[Slots];
        capacities ??= new long[Slots];
        if (capacities[slot] < length)
        {
            if (blocks[slot] != 0) NativeMemory.AlignedFree((void*)blocks[slot]);
            long grown = Math.Max(length, capacities[slot] * 3 / 2);
            blocks[slot] = (nint)NativeMemory.AlignedAlloc((nuint)(grown * sizeof(float) + 64), 64);
            capacities[slot] = grown;
        }
        return (float*)blocks[slot];
    }
}
