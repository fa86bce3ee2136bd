namespace Ompq.Runtime.Search;

/// <summary>How the per-unit objective coefficient is formed from θ (spec §4).</summary>
public enum CoefficientRule
{
    /// <summary>c_i = mean of θ_j over j ≥ i (the reference code's choice; default).</summary>
    SuffixMean,
    /// <summary>c_i = θ_i.</summary>
    Theta,
}

/// <summary>
/// Layer importance from the orthogonality matrix: γ_i = Σ_{j≠i} ORM_ij, θ_i = exp(−β·γ_i), coefficient c_i.
/// θ is kept in the log domain: <see cref="Theta"/> holds θ_i / max θ = exp(−β·(γ_i − min γ)) (largest exactly 1)
/// and <see cref="LogScale"/> = −β·min γ the natural log of the factor dropped, so the spec's θ_i is
/// Theta_i·exp(LogScale). exp(−β·γ_i) itself underflows to 0 once β·γ_i > 745 (PTQ's β = 100 with γ ≈ 13–17),
/// which erased every coefficient; the allocation only depends on ratios of coefficients, so dividing by the
/// largest changes no optimum.
/// </summary>
public sealed record LayerImportance(double[] Gamma, double[] Theta, double LogScale, double[] Coefficients)
{
    public static LayerImportance FromOrm(double[,] orm, double beta, CoefficientRule rule)
    {
        if (!double.IsFinite(beta) || beta < 0)
            throw new InvalidInputException($"beta {beta} is invalid: expected a finite number >= 0");
        int l = orm.GetLength(0);
        if (l == 0 || orm.GetLength(1) != l)
            throw new ArgumentException($"ORM must be square and non-empty, got {orm.GetLength(0)}×{orm.GetLength(1)}");

        var gamma = new double[l];
        for (int i = 0; i < l; i++)
        {
            double sum = 0;
            for (int j = 0; j < l; j++)
                if (j != i) sum += orm[i, j];
            gamma[i] = sum;
        }
        double minGamma = gamma.Min();
        var theta = new double[l];
        for (int i = 0; i < l; i++) theta[i] = Math.Exp(-beta * (gamma[i] - minGamma));

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
        // β = 0 with an empty-ish ORM would give −0; keep the report tidy.
        double logScale = beta * minGamma == 0 ? 0.0 : -beta * minGamma;
        return new LayerImportance(gamma, theta, logScale, coefficients);
    }

    /// <summary>
    /// Units whose coefficient is below <paramref name="resolution"/> of the largest: the solver cannot tell them
    /// from 0, so their widths follow the tie rule rather than θ.
    /// </summary>
    public int[] UnresolvedUnits(double resolution) => Below(Coefficients, resolution);

    /// <summary>
    /// Units whose θ is below <paramref name="resolution"/> of the largest (which is 1): their data no longer enters
    /// any coefficient, so the coefficients are those of the remaining units' θ alone.
    /// </summary>
    public int[] NegligibleThetas(double resolution) => Below(Theta, resolution);

    private static int[] Below(double[] values, double resolution)
    {
        double max = values.Max();
        return Enumerable.Range(0, values.Length).Where(i => !(values[i] > resolution * max)).ToArray();
    }
}
