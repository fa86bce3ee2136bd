namespace Ompq.Tests.Reference;

/// <summary>
/// Element-wise tolerance checks against a reference. For sums over K terms the error of fp32 grows with the
/// magnitude of the terms, not of the result (which may cancel to ~0), so callers pass that magnitude:
/// |actual − expected| ≤ absolute + relative·magnitude, with magnitude = |expected| when none is given.
/// </summary>
public static class Close
{
    public static void Assert(float[] expected, float[] actual, float relative, float absolute, string context, float[]? magnitude = null)
    {
        Xunit.Assert.Equal(expected.Length, actual.Length);
        int failures = 0, first = -1;
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double mag = magnitude?[i] ?? Math.Abs(expected[i]);
            double err = Math.Abs((double)actual[i] - expected[i]);
            double limit = absolute + relative * mag;
            bool bad = !(err <= limit) && !(float.IsNaN(expected[i]) && float.IsNaN(actual[i]))
                && !(float.IsInfinity(expected[i]) && expected[i] == actual[i]);
            if (!bad) continue;
            failures++;
            if (first < 0) first = i;
            worst = Math.Max(worst, err / Math.Max(limit, 1e-30));
        }
        if (failures > 0)
            Xunit.Assert.Fail($"{context}: {failures}/{expected.Length} elements out of tolerance (rel {relative}, abs {absolute}); " +
                $"first at [{first}]: expected {expected[first]}, got {actual[first]}; worst error/limit {worst:G3}");
    }

    public static void Exact(float[] expected, float[] actual, string context) => Assert(expected, actual, 0f, 0f, context);
}
