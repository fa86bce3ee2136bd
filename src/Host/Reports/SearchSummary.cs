using System.Globalization;
using Ompq.Host.Options;
using Ompq.Runtime.Search;

namespace Ompq.Host.Reports;

/// <summary>The human-readable result: a table of units with their widths, then budgets, objectives and timings.</summary>
public static class SearchSummary
{
    public static void Write(TextWriter w, SearchResult r, string data, string weights)
    {
        var o = r.Options;
        var inv = CultureInfo.InvariantCulture;
        w.WriteLine(string.Create(inv, $"OMPQ search: {r.Model} {r.Mode.ToString().ToUpperInvariant()} on {r.Device}, beta {o.Beta}, bits {o.Bits}, coefficients {EnumSpelling.Of(o.Coefficients)}, BN {(o.BatchNorm == BatchNormMode.Batch ? "batch statistics" : "running statistics (eval)")}"));
        w.WriteLine($"data: {data}");
        w.WriteLine($"weights: {weights}");
        w.WriteLine();
        var table = new TextTable(">#", "unit", ">params", ">theta/max", ">coefficient", ">LP bits", "bits");
        for (int i = 0; i < r.Units.Count; i++)
        {
            var u = r.Units[i];
            table.Add((i + 1).ToString(inv), u.Name, u.Params.ToString(inv), u.Theta.ToString("0.0000e+0", inv),
                u.Coefficient.ToString("0.0000e+0", inv), u.BitsContinuous.ToString("0.00", inv), u.Pinned ? $"{u.Bits} (pinned)" : u.Bits.ToString(inv));
        }
        table.Write(w);
        w.WriteLine();
        w.WriteLine(o.Accounting == SizeAccounting.Reference
            ? string.Create(inv, $"accounting: reference (every unit searched and counted at its width, as the reference's PTQ); with pinned units at 8 bits these widths weigh {r.SizePinnedMiB:0.0000} MiB")
            : "accounting: pinned (pinned units at their fixed width)");
        w.WriteLine(string.Create(inv, $"fixed at 8 bits: {(r.Fixed.Layers.Count == 0 ? "none" : string.Join(", ", r.Fixed.Layers))}"));
        w.WriteLine(string.Create(inv, $"size   {r.SizeMiB:0.0000} MiB of {o.SizeBudgetMiB} MiB (slack {r.SizeSlackMiB:0.0000}); LP {r.SizeContinuousMiB:0.0000} MiB"));
        w.WriteLine(string.Create(inv, $"BitOps {r.BitOpsG:0.00} G (activations {o.ActivationBits} bits){(o.BitOpsBudgetG is { } g ? $" of {g} G (slack {r.BitOpsSlackG:0.00})" : "")}"));
        w.WriteLine(string.Create(inv, $"objective Σc·b/8: LP {r.ObjectiveContinuous:G6}, integer {r.ObjectiveInteger:G6}"));
        w.WriteLine($"solver: {r.IntegerMethod}");
        w.WriteLine(string.Create(inv, $"theta = theta/max · exp({r.ThetaLogScale:G6})"));
        foreach (string warning in r.Warnings) w.WriteLine($"warning: {warning}");
        if (!r.IntegerProvenOptimal)
            w.WriteLine($"warning: the integer search stopped after {IntegerAllocation.NodeLimit:N0} nodes; the allocation is feasible but not proven optimal");
        w.WriteLine(string.Create(inv, $"time: features {r.Timings.Features:0.000} s, orm {r.Timings.Orm:0.000} s, solve {r.Timings.Solve:0.000} s, total {r.Timings.Total:0.000} s"));
    }
}
