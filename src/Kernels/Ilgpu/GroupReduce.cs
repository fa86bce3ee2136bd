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

    /// <summary>Two sums in one tree (two shared arrays): half the barriers of two separate reductions.</summary>
    public static void SumPair(ArrayView<float> sharedA, ArrayView<float> sharedB, int thread, ref float a, ref float b)
    {
        sharedA[thread] = a;
        sharedB[thread] = b;
        Group.Barrier();
        for (int half = Threads / 2; half > 0; half >>= 1)
        {
            if (thread < half)
            {
                sharedA[thread] += sharedA[thread + half];
                sharedB[thread] += sharedB[thread + half];
            }
            Group.Barrier();
        }
        a = sharedA[0];
        b = sharedB[0];
        Group.Barrier();
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

    /// <summary>Min and max in one tree (two shared arrays): half the barriers of two separate reductions.</summary>
    public static void MinMax(ArrayView<float> sharedMin, ArrayView<float> sharedMax, int thread, ref float min, ref float max)
    {
        sharedMin[thread] = min;
        sharedMax[thread] = max;
        Group.Barrier();
        for (int half = Threads / 2; half > 0; half >>= 1)
        {
            if (thread < half)
            {
                sharedMin[thread] = XMath.Min(sharedMin[thread], sharedMin[thread + half]);
                sharedMax[thread] = XMath.Max(sharedMax[thread], sharedMax[thread + half]);
            }
            Group.Barrier();
        }
        min = sharedMin[0];
        max = sharedMax[0];
        Group.Barrier();
    }
}
