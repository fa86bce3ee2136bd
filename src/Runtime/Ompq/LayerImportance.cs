namespace Ompq.Runtime.Search;

/// <summary>How the per-unit objective coefficient is formed from θ (spec §4).</summary>
public enum CoefficientRule
{
    /// <summary>c_i = mean of θ_j over j ≥ i (the reference code's choice; default).</summary>
    SuffixMean,
    /// <summary>c_i = θ_i.</summary>
    Theta,
}

/// <summary>Layer importance from the orthogonality matrix: γ_i = Σ_{j≠i} ORM_ij, θ_i = exp(−β·γ_i), coefficient c_i.</summary>
public sealed record LayerImportance(double[] Gamma, double[] Theta, double[] Coefficients)
{
    public static LayerImportance FromOrm(double[,] orm, double beta, CoefficientRule rule)
    {
        if (!double.IsFinite(beta) || beta < 0)
            throw new InvalidInputException($"beta {beta} is invalid: expected a finite number >= 0");
        int l = orm.GetLength(0);
        if (l == 0 || orm.GetLength(1) != l)
            throw new ArgumentException($"ORM must be square and non-empty, got {orm.GetLength(0)}×{orm.GetLength(1)}");

        var gamma = new double[l];
        var theta = new double[l];
        for (int i = 0; i < l; i++)
        {
            double sum = 0;
            for (int j = 0; j < l; j++)
                if (j != i) sum += orm[i, j];
            gamma[i] = sum;
            theta[i] = Math.Exp(-beta * sum);
        }

        var coefficients = new double[l];
        if (rule == CoefficientRule.Theta)
        {
            Array.Copy(theta, coefficients, l);
        }
        else
        {
            // Summed from the back so every suffix mean is computed from the same partial sums.
            double suffix = 0;
            for (int i = l - 1; i >= 0; i--)
            {
                suffix += theta[i];
                coefficients[i] = suffix / (l - i);
            }
        }
        return new LayerImportance(gamma, theta, coefficients);
    }
}
