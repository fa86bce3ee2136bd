namespace Ompq.Runtime.Search;

/// <summary>
/// A small dense primal simplex for max cᵀx s.t. A·x ≤ b, x ≥ 0 with b ≥ 0 (the origin is feasible, so no
/// phase 1). Bland's rule makes it terminate without cycling; it is meant for the tens of variables of a
/// bit-allocation LP, where exactness matters and speed does not.
/// </summary>
internal static class DenseSimplex
{
    private const double Tolerance = 1e-11;
    private const int MaxIterations = 100_000;

    public static double[] Maximize(double[] c, double[][] a, double[] b)
    {
        int m = a.Length;
        int n = c.Length;
        // Tableau rows 0..m-1: [A | I | b]; last row: the reduced costs −c (so optimal when all ≥ 0).
        int width = n + m + 1;
        var t = new double[m + 1][];
        var basis = new int[m];
        for (int r = 0; r < m; r++)
        {
            if (!(b[r] >= 0)) throw new ArgumentException($"DenseSimplex needs b >= 0 (the origin feasible), got b[{r}] = {b[r]}");
            // Rows are scaled to unit max-coefficient so one tolerance fits constraints of any magnitude.
            double scale = 0;
            for (int j = 0; j < n; j++) scale = Math.Max(scale, Math.Abs(a[r][j]));
            if (scale == 0) scale = 1;
            t[r] = new double[width];
            for (int j = 0; j < n; j++) t[r][j] = a[r][j] / scale;
            t[r][n + r] = 1;
            t[r][^1] = b[r] / scale;
            basis[r] = n + r;
        }
        t[m] = new double[width];
        for (int j = 0; j < n; j++) t[m][j] = -c[j];

        for (int iteration = 0; ; iteration++)
        {
            int enter = -1;
            for (int j = 0; j < n + m; j++)
                if (t[m][j] < -Tolerance) { enter = j; break; }
            if (enter < 0) break;
            // Bland's rule terminates; a runaway loop is a bug, and stopping early would return a non-optimal point.
            if (iteration == MaxIterations)
                throw new InvalidOperationException($"the simplex did not reach the optimum in {MaxIterations} pivots ({n} variables, {m} constraints)");

            int leave = -1;
            double best = double.PositiveInfinity;
            for (int r = 0; r < m; r++)
            {
                if (t[r][enter] <= Tolerance) continue;
                double ratio = t[r][^1] / t[r][enter];
                if (ratio < best - Tolerance || (Math.Abs(ratio - best) <= Tolerance && basis[r] < basis[leave]))
                {
                    best = ratio;
                    leave = r;
                }
            }
            if (leave < 0) throw new InvalidOperationException("the LP is unbounded (a bounded allocation LP never is)");
            Pivot(t, leave, enter);
            basis[leave] = enter;
        }

        var x = new double[n];
        for (int r = 0; r < m; r++)
            if (basis[r] < n) x[basis[r]] = t[r][^1];
        return x;
    }

    private static void Pivot(double[][] t, int row, int column)
    {
        double[] pivotRow = t[row];
        double inv = 1.0 / pivotRow[column];
        for (int j = 0; j < pivotRow.Length; j++) pivotRow[j] *= inv;
        pivotRow[column] = 1;
        for (int r = 0; r < t.Length; r++)
        {
            if (r == row) continue;
            double factor = t[r][column];
            if (factor == 0) continue;
            double[] target = t[r];
            for (int j = 0; j < target.Length; j++) target[j] -= factor * pivotRow[j];
            target[column] = 0;
        }
    }
}
