using Ompq.Runtime.Search;

namespace Ompq.Host.Plots;

/// <summary>The two pictures of a search: the ORM as a heatmap and the chosen bits per unit as bars.</summary>
public static class SearchPlots
{
    private static readonly (byte, byte, byte) White = (255, 255, 255);
    private static readonly (byte, byte, byte) Ink = (40, 40, 40);
    private static readonly (byte, byte, byte) Grid = (225, 225, 225);

    /// <summary>
    /// ORM heatmap: one square per pair, unit 1 at the top left. Colours span [low, 1] with low the smallest entry
    /// rounded down to a tenth (ORMs of real networks often sit in 0.8–1), shown on the colour bar's labels.
    /// </summary>
    public static RgbImage Heatmap(double[,] orm)
    {
        int l = orm.GetLength(0);
        double min = 1;
        foreach (double v in orm) if (double.IsFinite(v)) min = Math.Min(min, v);
        double low = Math.Max(0, Math.Floor(min * 10 - 1e-9) / 10);
        if (low >= 1) low = 0.9;
        int cell = Math.Clamp(640 / Math.Max(1, l), 6, 48);
        const int margin = 16, legend = 24, labels = 28;
        var image = new RgbImage(2 * margin + l * cell + legend + 8 + labels, 2 * margin + l * cell, White);
        for (int i = 0; i < l; i++)
        for (int j = 0; j < l; j++)
            image.FillRect(margin + j * cell, margin + i * cell, cell, cell, ColourMap((orm[i, j] - low) / (1 - low)));
        // Colour bar from 1 (top) to low (bottom), labelled at both ends.
        int barX = margin + l * cell + 8, barH = l * cell;
        for (int y = 0; y < barH; y++) image.FillRect(barX, margin + y, legend - 8, 1, ColourMap(1.0 - (double)y / Math.Max(1, barH - 1)));
        image.DrawText(barX + legend - 4, margin, "1", 2, Ink);
        image.DrawText(barX + legend - 4, margin + barH - 10, low.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture), 2, Ink);
        return image;
    }

    /// <summary>Bits per unit: one bar per unit, the LP's continuous width as a thin dark mark, the integer width as the bar.</summary>
    public static RgbImage BitsChart(IReadOnlyList<UnitResult> units)
    {
        int l = units.Count;
        int bar = Math.Clamp(720 / Math.Max(1, l), 8, 40);
        const int margin = 24, perBit = 24, top = 8;
        int height = margin * 2 + 8 * perBit;
        var image = new RgbImage(margin * 2 + l * bar, height, White);
        int baseline = height - margin;
        for (int b = 1; b <= 8; b++)
        {
            image.FillRect(margin, baseline - b * perBit, l * bar, 1, Grid);
            image.DrawText(2, baseline - b * perBit - 2, b.ToString(System.Globalization.CultureInfo.InvariantCulture), 1, Ink);
        }
        for (int i = 0; i < l; i++)
        {
            var u = units[i];
            var colour = u.Pinned ? ((byte)150, (byte)150, (byte)150) : ColourMap((u.Bits - 2) / 6.0);
            int h = u.Bits * perBit;
            image.FillRect(margin + i * bar + 1, baseline - h, bar - 2, h, colour);
            int lp = (int)Math.Round(u.BitsContinuous * perBit);
            image.FillRect(margin + i * bar + 1, baseline - lp, bar - 2, 2, Ink);
            if (bar >= 10) image.DrawText(margin + i * bar + (bar - 3) / 2, baseline - h - 7 - top / 2, u.Bits.ToString(System.Globalization.CultureInfo.InvariantCulture), 1, Ink);
        }
        image.FillRect(margin, baseline, l * bar, 1, Ink);
        return image;
    }

    /// <summary>A perceptually ordered blue → teal → green → yellow ramp for t in [0, 1].</summary>
    internal static (byte R, byte G, byte B) ColourMap(double t)
    {
        ReadOnlySpan<double> stops = [0.0, 0.33, 0.66, 1.0];
        (double R, double G, double B)[] colours = [(48, 18, 110), (33, 120, 142), (80, 190, 100), (250, 230, 35)];
        t = double.IsFinite(t) ? Math.Clamp(t, 0, 1) : 0;
        int k = 0;
        while (k < stops.Length - 2 && t > stops[k + 1]) k++;
        double f = (t - stops[k]) / (stops[k + 1] - stops[k]);
        var (a, b) = (colours[k], colours[k + 1]);
        return ((byte)Math.Round(a.R + (b.R - a.R) * f), (byte)Math.Round(a.G + (b.G - a.G) * f), (byte)Math.Round(a.B + (b.B - a.B) * f));
    }
}
