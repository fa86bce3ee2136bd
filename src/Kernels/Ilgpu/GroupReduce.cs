using ILGPU;
using ILGPU.Algorithms;

namespace Ompq.Kernels.Ilgpu;

/// <summary>
/// Tree reductions across one group of <see cref="Threads"/> threads through shared memory. Every thread of the
/// group must call them (they contain barriers); the result is valid in every thread.
/// </summary>
internal static class GroupReduce
{
    public const int Threads = 256;

    public static float Sum(ArrayView<float> shared, int thread, float value)
    {
        shared[thread] = value;
        Group.Barrier();
        for (int half = Threads / 2; half > 0; half >>= 1)
        {
            if (thread < half) shared[thread] += shared[thread + half];
            Group.Barrier();
        }
        float total = shared[0];
        Group.Barrier();
        return total;
    }

    public static float Min(ArrayView<float> shared, int thread, float value)
    {
        shared[thread] = value;
        Group.Barrier();
        for (int half = Threads / 2; half > 0; half >>= 1)
        {
            if (thread < half) shared[thread] = XMath.Min(shared[thread], shared[thread + half]);
            Group.Barrier();
        }
        float result = shared[0];
        Group.Barrier();
        return result;
    }

    public static float Max(ArrayView<float> shared, int thread, float value)
    {
        shared[thread] = value;
        Group.Barrier();
        for (int half = Threads / 2; half > 0; half >>= 1)
        {
            if (thread < half) shared[thread] = XMath.Max(shared[thread], shared[thread + half]);
            Group.Barrier();
        }
        float result = shared[0];
        Group.Barrier();
        return result;
    }
}
