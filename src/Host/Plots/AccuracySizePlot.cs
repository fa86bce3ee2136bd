using ScottPlot;

namespace Ompq.Host.Plots;

/// <summary>One measured model: which method chose its bits, what it weighs and how accurate it is.</summary>
public sealed record AccuracySizePoint(string Method, double SizeMiB, double Top1);

/// <summary>Top-1 accuracy against model size, one line per method (e.g. ompq, hawq, uniform), for comparing methods at equal size.</summary>
public static class AccuracySizePlot
{
    /// <param name="top1AsFraction">Top-1 values are fractions in [0, 1] (shown as percent); false: already percent.</param>
    public static PlotFiles Render(IEnumerable<AccuracySizePoint> points, string title, string stem = "accuracy-size", bool top1AsFraction = true)
    {
        var files = new PlotFiles();
        using var plot = Build(points, title, top1AsFraction);
        files.Add(plot, stem, 720, 480);
        return files;
    }

    public static Plot Build(IEnumerable<AccuracySizePoint> points, string title, bool top1AsFraction = true)
    {
        var plot = new Plot();
        double scale = top1AsFraction ? 100 : 1;
        foreach (var method in points.GroupBy(p => p.Method, StringComparer.Ordinal))
        {
            var ordered = method.OrderBy(p => p.SizeMiB).ToArray();
            var line = plot.Add.Scatter(ordered.Select(p => p.SizeMiB).ToArray(), ordered.Select(p => p.Top1 * scale).ToArray());
            line.LegendText = method.Key;
            line.MarkerSize = 7;
            line.LineWidth = 2;
        }
        plot.ShowLegend(Alignment.LowerRight);
        plot.Title(title);
        plot.XLabel("model size (MiB)");
        plot.YLabel("top-1 accuracy (%)");
        return plot;
    }
}
