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
    public static void FrobeniusProducts(int count, long elements, float* matrices, float* products, int threads)
        => Gram.Compute(count, elements, matrices, products, threads);
}
