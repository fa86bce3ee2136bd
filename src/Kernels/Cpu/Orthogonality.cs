using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
namespace Ompq.Kernels.Cpu;

/// <summary>The small steps of OMPQ's orthogonality matrix after the Gram matrices: centring and Frobenius products.</summary>
internal static unsafe class Orthogonality
{
    /// <summary>K̃ = K − row means − column means + grand mean; means are taken before writing so in place works.</summary>
    public static void CenterGram(int n, float* k, float* centered)
    {
        var rowMean = new double[n];
        var colMean = new double[n];
        double grand = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double v = k[i * n + j];
                rowMean[i] += v;
                colMean[j] += v;
                grand += v;
            }
        for (int i = 0; i < n; i++)
        {
            rowMean[i] /= n;
            colMean[i] /= n;
        }
        grand /= (double)n * n;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                centered[i * n + j] = (float)(k[i * n + j] - rowMean[i] - colMean[j] + grand);
    }

    /// <summary>⟨M_i, M_j⟩_F for matrices stored back to back: the Gram matrix of the flattened matrices.</summary>
    public static void FrobeniusProducts(int count, long elements, float* matrices, float* products, int threads, CpuIsa isa)
    {
        bool simd = isa.HasAvx2();
        // One matrix (‖X‖² of a whole feature, used by the ORM's constant-feature guard) is a plain reduction:
        // the rank-k Gram path would pad it to a register block and cost as much as a 32-row Gram.
        if (count == 1)
        {
            products[0] = (float)SumOfSquares(matrices, elements, threads, simd);
            return;
        }
        Gram.Compute(count, elements, matrices, products, threads, isa);
    }

    /// <summary>Σ x² with four vector accumulators per block; blocks add into per-chunk doubles so long sums keep their precision.</summary>
    private static double SumOfSquares(float* x, long length, int threads, bool simd)
    {
        const long block = 4096;
        long blocks = (length + block - 1) / block;
        var partial = new double[blocks];
        nint xs = (nint)x;
        CpuParallel.ForRange(blocks, threads, 16, (first, end) =>
        {
            for (long b = first; b < end; b++)
            {
                float* p = (float*)xs + b * block;
                long n = Math.Min(block, length - b * block);
                Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
                long i = 0;
                for (; simd && i + 32 <= n; i += 32)
                {
                    var v0 = Avx.LoadVector256(p + i);
                    var v1 = Avx.LoadVector256(p + i + 8);
                    var v2 = Avx.LoadVector256(p + i + 16);
                    var v3 = Avx.LoadVector256(p + i + 24);
                    a0 = Fma.MultiplyAdd(v0, v0, a0);
                    a1 = Fma.MultiplyAdd(v1, v1, a1);
                    a2 = Fma.MultiplyAdd(v2, v2, a2);
                    a3 = Fma.MultiplyAdd(v3, v3, a3);
                }
                double sum = Vector256.Sum((a0 + a1) + (a2 + a3));
                for (; i < n; i++) sum += (double)p[i] * p[i];
                partial[b] = sum;
            }
        });
        double total = 0;
        foreach (double v in partial) total += v;
        return total;
    }
}
