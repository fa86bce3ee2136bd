using ScottPlot;
using Ompq.Runtime.Training;

namespace Ompq.Host.Plots;

/// <summary>The curves of a training run per epoch: loss (training-loss.*) and top-1 accuracy (training-top1.*), train and test.</summary>
public static class TrainingCurves
{
    public static PlotFiles Render(IReadOnlyList<EpochSummary> history, string title)
    {
        var files = new PlotFiles();
        double[] epochs = history.Select(e => (double)e.Epoch).ToArray();
        using (var loss = Curves(title + ": loss", "cross-entropy loss", epochs,
                   ("train (running mean over the epoch)", history.Select(e => (double?)e.TrainLoss)),
                   ("test", history.Select(e => e.TestLoss))))
            files.Add(loss, "training-loss", 720, 480);
        using (var top1 = Curves(title + ": top-1 accuracy", "top-1 accuracy (%)", epochs,
                   ("train (running mean over the epoch)", history.Select(e => (double?)e.TrainTop1 * 100)),
                   ("test", history.Select(e => e.TestTop1 * 100))))
            files.Add(top1, "training-top1", 720, 480);
        return files;
    }

    private static Plot Curves(string title, string yLabel, double[] epochs, params (string Name, IEnumerable<double?> Values)[] series)
    {
        var plot = new Plot();
        foreach (var (name, values) in series)
        {
            var known = epochs.Zip(values).Where(p => p.Second is { } v && double.IsFinite(v)).ToArray();
            if (known.Length == 0) continue; // e.g. --no-test
            var line = plot.Add.Scatter(known.Select(p => p.First).ToArray(), known.Select(p => p.Second!.Value).ToArray());
            line.LegendText = name;
            line.MarkerSize = 6;
            line.LineWidth = 2;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.ShowLegend(Alignment.UpperRight);
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(yLabel);
        return plot;
    }
}
