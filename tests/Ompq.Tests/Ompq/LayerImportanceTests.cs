using Ompq.Runtime.Search;

namespace Ompq.Tests.Search;

/// <summary>θ in the log domain: coefficients survive β·γ far beyond the double range.</summary>
public sealed class LayerImportanceTests
{
    /// <summary>A symmetric ORM whose row sums (γ) are the given values' neighbourhood: off-diagonals chosen per pair.</summary>
    private static double[,] Orm(params double[] offDiagonalRowScale)
    {
        int l = offDiagonalRowScale.Length;
        var orm = new double[l, l];
        for (int i = 0; i < l; i++)
        for (int j = 0; j < l; j++)
            orm[i, j] = i == j ? 1.0 : Math.Min(1.0, (offDiagonalRowScale[i] + offDiagonalRowScale[j]) / 2);
        return orm;
    }

    [Fact]
    public void ThetaSurvivesBetaGammaFarBeyondTheDoubleRange()
    {
        // γ ≈ 3.9 and β = 1e5: exp(−β·γ) = exp(−3.9e5) is 0 in double (the limit is ≈ −745).
        var orm = Orm(0.97, 0.99, 0.96, 0.9500001, 0.95); // the most orthogonal unit last, as the classifier is in PTQ
        var imp = LayerImportance.FromOrm(orm, 1e5, CoefficientRule.SuffixMean);
        Assert.True(imp.Gamma.Min() * 1e5 > 1e5);
        Assert.Equal(1.0, imp.Theta.Max());
        Assert.All(imp.Coefficients, c => Assert.True(c > 0, "a coefficient underflowed to 0"));
        Assert.Equal(4, Array.IndexOf(imp.Theta, 1.0));
        Assert.Equal(-1e5 * imp.Gamma.Min(), imp.LogScale, 9);
        // Ratios are exactly the spec's: θ_i/θ_j = exp(−β·(γ_i − γ_j)) where that ratio is representable.
        int best = Array.IndexOf(imp.Theta, 1.0);
        for (int i = 0; i < imp.Theta.Length; i++)
        {
            double logRatio = -1e5 * (imp.Gamma[i] - imp.Gamma[best]);
            if (logRatio > -700) Assert.Equal(Math.Exp(logRatio), imp.Theta[i], 1e-12);
            else Assert.True(imp.Theta[i] < 1e-300);
        }
        Assert.True(imp.Theta[3] > 1e-3 && imp.Theta[3] < 1, "a unit 1e-7 from the best in γ keeps a data-dependent θ");
    }

    [Fact]
    public void NormalisationLeavesTheAllocationUnchanged()
    {
        // Where exp(−β·γ) is representable, the normalised coefficients are the plain ones times one factor, so the
        // LP and the integer optimum are the same.
        var orm = Orm(0.3, 0.5, 0.4, 0.2, 0.6, 0.35);
        var imp = LayerImportance.FromOrm(orm, 3.0, CoefficientRule.SuffixMean);
        double factor = Math.Exp(imp.LogScale);
        var plain = new double[imp.Theta.Length];
        double suffix = 0;
        for (int i = plain.Length - 1; i >= 0; i--)
        {
            suffix += Math.Exp(-3.0 * imp.Gamma[i]);
            plain[i] = suffix / (plain.Length - i);
        }
        for (int i = 0; i < plain.Length; i++) Assert.Equal(plain[i], imp.Coefficients[i] * factor, 1e-15);

        long[] size = [900, 400, 1300, 700, 2200, 500];
        var p = new AllocationProblem(imp.Coefficients, size, new long[6], [2, 2, 2, 2, 2, 2], [4, 4, 4, 4, 4, 4], 2 * 6000 + 4000, null);
        Assert.Equal(IntegerAllocation.Solve(p with { Coefficients = plain }).Bits, IntegerAllocation.Solve(p).Bits);
    }

    [Fact]
    public void CollapsedThetaIsReported()
    {
        var orm = Orm(0.2, 0.9, 0.9, 0.9);
        var imp = LayerImportance.FromOrm(orm, 100, CoefficientRule.Theta);
        double resolution = IntegerAllocation.Resolution(4);
        Assert.Equal([1, 2, 3], imp.NegligibleThetas(resolution));
        Assert.Equal([1, 2, 3], imp.UnresolvedUnits(resolution));
        var spread = LayerImportance.FromOrm(orm, 1, CoefficientRule.Theta);
        Assert.Empty(spread.NegligibleThetas(resolution));
    }
}
