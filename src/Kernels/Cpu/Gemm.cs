using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>C[m×n] = alpha·op(A)·op(B) + beta·C with leading dimensions, row-major.</summary>
internal static unsafe class Gemm
{
    public static void Run(int m, int n, int k, float alpha, float* a, int lda, bool transA,
        float* b, int ldb, bool transB, float beta, float* c, int ldc, int threads)
    {
        float* bRows = b;
        int bStride = ldb;
        if (transB)
        {
            // Row-broadcast kernel wants B as K×N rows.
            bRows = ThreadScratch.Get(1, (long)k * n);
            bStride = n;
            for (int j = 0; j < n; j++)
                for (int p = 0; p < k; p++) bRows[(long)p * n + j] = b[(long)j * ldb + p];
        }
        nint az = (nint)a, bz = (nint)bRows, cz = (nint)c;
        CpuParallel.ForRange(m, threads, Math.Max(1, 32768 / Math.Max(1, n * k / 64 + 1)), (start, end) =>
        {
            for (long i = start; i < end; i++)
                Row((int)i, n, k, alpha, (float*)az, lda, transA, (float*)bz, bStride, beta, (float*)cz + i * ldc);
        }, chunksPerThread: 4);
    }

    private static void Row(int i, int n, int k, float alpha, float* a, int lda, bool transA, float* b, int ldb, float beta, float* crow)
    {
        int j;
        if (beta == 0f)
            new Span<float>(crow, n).Clear();
        else if (beta != 1f)
            for (j = 0; j < n; j++) crow[j] *= beta;
        for (int p = 0; p < k; p++)
        {
            float av = alpha * (transA ? a[(long)p * lda + i] : a[(long)i * lda + p]);
            var va = Vector256.Create(av);
            float* brow = b + (long)p * ldb;
            j = 0;
            for (; j + 8 <= n; j += 8)
                Avx.Store(crow + j, Fma.MultiplyAdd(va, Avx.LoadVector256(brow + j), Avx.LoadVector256(crow + j)));
            for (; j < n; j++) crow[j] = MathF.FusedMultiplyAdd(av, brow[j], crow[j]);
        }
    }
}
