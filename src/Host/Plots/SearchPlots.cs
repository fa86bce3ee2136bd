using System.Globalization;
using ScottPlot;
using Ompq.Runtime.Search;

namespace Ompq.Host.Plots;

/// <summary>The two pictures of a search: the ORM as a heatmap (orm.*) and the chosen bits per unit as bars (bits.*).</summary>
public static class SearchPlots
{
    public static PlotFiles Render(SearchResult result)
    {
        var files = new PlotFiles();
        var names = result.Units.Select(u => u.Name).ToArray();
        // A baseline (--method hawq|uniform|random) has no orthogonality matrix to draw.
        if (result.Orm.Length > 0)
            using (var heatmap = Heatmap(result.Orm, names, $"{result.Model} {result.Mode.ToString().ToUpperInvariant()}: orthogonality of unit features ({result.Images} images)"))
                files.Add(heatmap, "orm", 220 + 28 * names.Length + LabelSpace(names), 160 + 28 * names.Length + LabelSpace(names));
        using (var bits = BitsChart(result))
            files.Add(bits, "bits", Math.Max(640, 160 + 40 * names.Length), 420 + LabelSpace(result.Units.Select(BarLabel).ToArray()));
        return files;
    }

    /// <summary>
    /// ORM heatmap: unit i's row is the i-th from the top and its column the i-th from the left, both axes named by
    /// unit; the colour bar spans the matrix's own range (ORMs of real networks often sit in 0.8–1).
    /// </summary>
    public static Plot Heatmap(double[,] orm, IReadOnlyList<string> names, string title)
    {
        int l = orm.GetLength(0);
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(orm);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        var bar = plot.Add.ColorBar(heatmap);
        bar.Label = "ORM entry (linear CKA, 1 = same information)";
        double[] positions = Enumerable.Range(0, l).Select(i => (double)i).ToArray();
        // The heatmap draws row 0 at the top, where the y axis is largest: unit i sits at y = l − 1 − i.
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, names.ToArray());
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions.Select(p => l - 1 - p).ToArray(), names.ToArray());
        RotateBottomLabels(plot, names);
        plot.Axes.Margins(0, 0);
        plot.Grid.IsVisible = false;
        plot.Title(title);
        plot.XLabel("unit");
        plot.YLabel("unit");
        return plot;
    }

    /// <summary>
    /// Bits per unit: the integer width as a bar (grey when pinned), the LP's continuous width as a black mark, each
    /// unit named with its parameter count; the title states the size budget and what the widths weigh.
    /// </summary>
    public static Plot BitsChart(SearchResult result)
    {
        var units = result.Units;
        var plot = new Plot();
        var palette = new ScottPlot.Colormaps.Viridis();
        var bars = units.Select((u, i) => new Bar
        {
            Position = i,
            Value = u.Bits,
            FillColor = u.Pinned ? Colors.Gray : palette.GetColor((u.Bits - 2) / 6.0, new ScottPlot.Range(0, 1.15)),
            Label = u.Bits.ToString(CultureInfo.InvariantCulture),
        }).ToArray();
        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 11;
        var lp = plot.Add.Markers(Enumerable.Range(0, units.Count).Select(i => (double)i).ToArray(),
            units.Select(u => u.BitsContinuous).ToArray(), MarkerShape.HorizontalBar, 18, Colors.Black);
        // The bars' colours encode their width, so the legend names the kinds of mark rather than each bar.
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "integer width (colour: bits)", FillColor = palette.GetColor(0.5) });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "LP (continuous) width", LineColor = Colors.Black, LineWidth = 2 });
        if (units.Any(u => u.Pinned))
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = "pinned at 8 bits", FillColor = Colors.Gray });
        string[] labels = units.Select(BarLabel).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, units.Count).Select(i => (double)i).ToArray(), labels);
        RotateBottomLabels(plot, labels);
        plot.Axes.SetLimitsY(0, 9);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(1);
        plot.Axes.Margins(bottom: 0);
        plot.ShowLegend(Edge.Right);
        var o = result.Options;
        plot.Title(string.Create(CultureInfo.InvariantCulture,
            $"{result.Model} {result.Mode.ToString().ToUpperInvariant()}: weight bits per unit, budget {o.SizeBudgetMiB} MiB (uses {result.SizeMiB:0.###} MiB){(o.BitOpsBudgetG is { } g ? $", {g} GBitOps" : "")}"));
        plot.XLabel("unit (parameters)");
        plot.YLabel("weight bits");
        return plot;
    }

    private static string BarLabel(UnitResult u) => $"{u.Name} ({Count(u.Params)})";

    /// <summary>A parameter count the way people say it: 9.4k, 2.36M.</summary>
    internal static string Count(long n) => n switch
    {
        >= 1_000_000 => (n / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + "M",
        >= 1_000 => (n / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + "k",
        _ => n.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Vertical unit names under the x axis, with room for the longest one.</summary>
    private static void RotateBottomLabels(Plot plot, IReadOnlyList<string> labels)
    {
        plot.Axes.Bottom.TickLabelStyle.Rotation = -90;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plot.Axes.Bottom.MinimumSize = LabelSpace(labels);
    }

    /// <summary>Pixels a rotated label column needs: about 7 per character at the default 12-point tick font.</summary>
    private static int LabelSpace(IReadOnlyList<string> labels) => 40 + 7 * labels.Select(l => l.Length).DefaultIfEmpty(4).Max();
}
