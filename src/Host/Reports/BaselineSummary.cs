using System.Globalization;
using Ompq.Host.Options;
using Ompq.Runtime.Search;
using Ompq.Runtime.Search.Baselines;

namespace Ompq.Host.Reports;

/// <summary>The human-readable result of a baseline search: its units and widths (hawq: with traces and costs), budgets and time.</summary>
public static class BaselineSummary
{
    public static void Write(TextWriter w, SearchResult r, string data, string weights)
    {
        var o = r.Options;
        var inv = CultureInfo.InvariantCulture;
        string method = EnumSpelling.Of(r.Method);
        w.WriteLine(string.Create(inv, $"{method} search: {r.Model} {r.Mode.ToString().ToUpperInvariant()} on {r.Device}, bits {o.Bits}"));
        w.WriteLine($"data: {data}");
        w.WriteLine($"weights: {weights}");
        w.WriteLine();
        if (r.Hessian is { } h)
        {
            var table = new TextTable(">#", "unit", ">params", ">trace/n", ">± std error", ">cost at bits", "bits");
            for (int i = 0; i < r.Units.Count; i++)
            {
                var u = r.Units[i];
                var s = h.Units[i];
                table.Add((i + 1).ToString(inv), u.Name, u.Params.ToString(inv), s.MeanTrace.ToString("0.0000e+0", inv),
                    s.MeanTraceStdError.ToString("0.0e+0", inv), s.Cost[u.Bits - s.MinBits].ToString("0.0000e+0", inv), BitsText(u, inv));
            }
            table.Write(w);
            w.WriteLine();
            w.WriteLine(string.Create(inv, $"hessian: {h.Probes} Rademacher probes per unit on {h.Images} labelled images (seed {h.Seed}), {EnumSpelling.Of(h.Estimator)} with step {h.RelativeStep:G3}·‖W‖"));
            w.WriteLine(string.Create(inv, $"objective: Σ trace/n·‖Q_b(W)−W‖² = {r.ObjectiveInteger:G6} (minimised)"));
        }
        else
        {
            var table = new TextTable(">#", "unit", ">params", "bits");
            for (int i = 0; i < r.Units.Count; i++)
            {
                var u = r.Units[i];
                table.Add((i + 1).ToString(inv), u.Name, u.Params.ToString(inv), BitsText(u, inv));
            }
            table.Write(w);
            w.WriteLine();
            if (r.Uniform is { } uniform) w.WriteLine(string.Create(inv, $"uniform: every searched unit at {uniform.Bits} bits, the largest width in {o.Bits} that fits"));
            if (r.Random is { } random) w.WriteLine(string.Create(inv, $"random: draw {random.ChosenDraw} of {random.Draws} (seed {random.Seed}), the largest size; each draw filled up to the budgets"));
        }
        w.WriteLine(string.Create(inv, $"fixed at 8 bits: {(r.Fixed.Layers.Count == 0 ? "none" : string.Join(", ", r.Fixed.Layers))}"));
        w.WriteLine(string.Create(inv, $"size   {r.SizeMiB:0.0000} MiB of {o.SizeBudgetMiB} MiB (slack {r.SizeSlackMiB:0.0000})"));
        w.WriteLine(string.Create(inv, $"BitOps {r.BitOpsG:0.00} G (activations {o.ActivationBits} bits){(o.BitOpsBudgetG is { } g ? $" of {g} G (slack {r.BitOpsSlackG:0.00})" : "")}"));
        w.WriteLine($"solver: {r.IntegerMethod}");
        foreach (string warning in r.Warnings) w.WriteLine($"warning: {warning}");
        if (!r.IntegerProvenOptimal)
            w.WriteLine($"warning: the integer search stopped after {IntegerAllocation.NodeLimit:N0} nodes; the allocation is feasible but not proven optimal");
        w.WriteLine(r.Method == SearchMethod.Hawq
            ? string.Create(inv, $"time: hessian {r.Timings.Hessian:0.000} s, solve {r.Timings.Solve:0.000} s, total {r.Timings.Total:0.000} s")
            : string.Create(inv, $"time: solve {r.Timings.Solve:0.000} s, total {r.Timings.Total:0.000} s"));
    }

    private static string BitsText(UnitResult u, IFormatProvider inv) => u.Pinned ? $"{u.Bits} (pinned)" : u.Bits.ToString(inv);
}
