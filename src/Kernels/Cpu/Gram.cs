using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>K = X·Xᵀ for X[n×d]: only the upper triangle is computed, then mirrored.</summary>
internal static unsafe class Gram
{
    public static void Compute(int n, long d, float* x, float* k, int threads)
    {
        int pairs = n * (n + 1) / 2;
        nint xs = (nint)x, ks = (nint)k;
        CpuParallel.For(pairs, threads, pair =>
        {
            // Unrank the pair index into (i, j) with i <= j.
            int i = 0, rowStart = 0;
            while (pair >= rowStart + (n - i)) { rowStart += n - i; i++; }
            int j = i + (pair - rowStart);
            float dot = Dot((float*)xs + i * d, (float*)xs + j * d, d);
            ((float*)ks)[i * n + j] = dot;
            ((float*)ks)[j * n + i] = dot;
        });
    }

    public static float Dot(float* a, float* b, long length)
    {
        var s0 = Vector256<float>.Zero;
        var s1 = Vector256<float>.Zero;
        var s2 = Vector256<float>.Zero;
        var s3 = Vector256<float>.Zero;
        long i = 0;
        for (; i + 32 <= length; i += 32)
        {
            s0 = Fma.MultiplyAdd(Avx.LoadVector256(a + i), Avx.LoadVector256(b + i), s0);
            s1 = Fma.MultiplyAdd(Avx.LoadVector256(a + i + 8), Avx.LoadVector256(b + i + 8), s1);
            s2 = Fma.MultiplyAdd(Avx.LoadVector256(a + i + 16), Avx.LoadVector256(b + i + 16), s2);
            s3 = Fma.MultiplyAdd(Avx.LoadVector256(a + i + 24), Avx.LoadVector256(b + i + 24), s3);
        }
        for (; i + 8 <= length; i += 8) s0 = Fma.MultiplyAdd(Avx.LoadVector256(a + i), Avx.LoadVector256(b + i), s0);
        float sum = Vector256.Sum((s0 + s1) + (s2 + s3));
        for (; i < length; i++) sum += a[i] * b[i];
        return sum;
    }
}
