namespace Ompq.Benchmarking;

/// <summary>
/// The orthogonality matrix (linear CKA) from n×n Grams on the host in double precision, the reference the
/// search-features case compares our ORM with: K̃ = H·K·H, ORM_ij = ⟨K̃_i, K̃_j⟩ / (‖K̃_i‖·‖K̃_j‖), clamped to [0, 1]
/// with a unit diagonal, as the library normalises it.
/// </summary>
public static class HostOrm
{
    public static double[,] FromGrams(IReadOnlyList<double[]> grams, int n)
    {
        var centred = grams.Select(k => Centre(k, n)).ToArray();
        int l = centred.Length;
        var products = new double[l, l];
        for (int i = 0; i < l; i++)
            for (int j = i; j < l; j++)
            {
                double sum = 0;
                for (int e = 0; e < n * n; e++) sum += centred[i][e] * centred[j][e];
                products[i, j] = products[j, i] = sum;
            }
        var orm = new double[l, l];
        for (int i = 0; i < l; i++)
            for (int j = 0; j < l; j++)
                orm[i, j] = i == j ? 1.0 : Math.Clamp(products[i, j] / Math.Sqrt(products[i, i] * products[j, j]), 0.0, 1.0);
        return orm;
    }

    /// <summary>Row-major floats of a square matrix.</summary>
    public static float[] Flatten(double[,] matrix)
    {
        int rows = matrix.GetLength(0), cols = matrix.GetLength(1);
        var flat = new float[rows * cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) flat[i * cols + j] = (float)matrix[i, j];
        return flat;
    }

    /// <summary>H·K·H with H = I − 11ᵀ/n: subtract row and column means, add the grand mean.</summary>
    private static double[] Centre(double[] k, int n)
    {
        var rowMean = new double[n];
        var colMean = new double[n];
        double grand = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                rowMean[i] += k[i * n + j] / n;
                colMean[j] += k[i * n + j] / n;
                grand += k[i * n + j] / ((double)n * n);
            }
        var c = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) c[i * n + j] = k[i * n + j] - rowMean[i] - colMean[j] + grand;
        return c;
    }
}
