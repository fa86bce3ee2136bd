using Ompq.Host.Plots;

namespace Ompq.Host.Reproduction;

/// <summary>Top-1 against size per regime, one line per method through its budgets (mean over the seeds run at each).</summary>
public static class ReproductionPlot
{
    /// <summary>Writes accuracy-size-&lt;regime&gt;.png/.svg into <paramref name="folder"/>; returns the first PNG's path (null: nothing to plot).</summary>
    public static string? Write(ReproductionPlan plan, IReadOnlyCollection<CellResult> results, string folder)
    {
        string? first = null;
        foreach (var regime in plan.Regimes)
        {
            string name = ReproductionTable.Name(regime);
            var points = results.Where(r => r.Regime == name && r.Failure is null)
                .GroupBy(r => (r.Method, r.AverageBits))
                .Select(g => new AccuracySizePoint(g.Key.Method, g.Average(r => r.SizeMiB), g.Average(r => r.Top1)))
                .ToList();
            if (points.Count == 0) continue;
            string stem = $"accuracy-size-{name}";
            var files = AccuracySizePlot.Render(points, $"{plan.Model} on {plan.Data}: {name.ToUpperInvariant()}, weights {ReproductionPlan.BitRange(regime)} bits, W/A8", stem);
            files.WriteTo(folder, "--out-dir");
            first ??= Path.Combine(folder, stem + ".png");
        }
        return first;
    }
}
