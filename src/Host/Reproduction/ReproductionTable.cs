using System.Globalization;
using System.Text;
using Ompq.Runtime;

namespace Ompq.Host.Reproduction;

/// <summary>
/// The Markdown the reproduction writes: per regime, one row per method at the table budget with mean ± sample
/// standard deviation over seeds, and the float and 8-bit references; README.md gets it between two marker lines.
/// </summary>
public static class ReproductionTable
{
    public const string BeginMarker = "<!-- reproduce:begin (written by `ompq reproduce`; edits here are overwritten) -->";
    public const string EndMarker = "<!-- reproduce:end -->";

    public sealed record Reference(string Name, double Top1, double SizeMiB, string Command);

    public static string Markdown(ReproductionPlan plan, IReadOnlyCollection<CellResult> results, IReadOnlyList<Reference> references,
        string machine, string? plotPath)
    {
        var s = new StringBuilder();
        string I(FormattableString f) => f.ToString(CultureInfo.InvariantCulture);
        s.AppendLine(I($"Measured by `ompq reproduce` on {machine}; {plan.Model} from `{plan.Weights}` on {plan.Data}, top-1 on the whole test set."));
        s.AppendLine();
        s.AppendLine("| reference | top-1 % | size MiB |");
        s.AppendLine("|---|---|---|");
        foreach (var r in references) s.AppendLine(I($"| {r.Name} | {r.Top1 * 100:F2} | {r.SizeMiB:F4} |"));
        foreach (var regime in plan.Regimes)
        {
            double budget = plan.TableBudget[regime];
            var cells = results.Where(r => r.Regime == Name(regime) && Math.Abs(r.AverageBits - budget) < 1e-9).ToList();
            s.AppendLine();
            s.AppendLine(I($"**{Title(regime)}**: weights {ReproductionPlan.BitRange(regime)} bits, budget = average {budget:0.##} bits ({cells.FirstOrDefault()?.BudgetMiB ?? 0:F4} MiB), 8-bit activations, {plan.Seeds} seeds."));
            s.AppendLine();
            s.AppendLine("| method | top-1 % (mean ± std) | seeds | size MiB | BitOps G | search s | " + (regime == Regime.Ptq ? "PTQ s" : "fine-tune s") + " |");
            s.AppendLine("|---|---|---|---|---|---|---|");
            foreach (string method in plan.Methods)
            {
                var all = cells.Where(c => c.Method == method).OrderBy(c => c.Seed).ToList();
                var runs = all.Where(c => c.Failure is null).ToList();
                int failed = all.Count - runs.Count;
                if (runs.Count == 0 && failed > 0)
                {
                    s.AppendLine($"| {method} | failed in all {failed} seeds: {all[0].Failure} | 0 | | | | |");
                    continue;
                }
                if (runs.Count == 0)
                {
                    s.AppendLine($"| {method} | not run yet | 0 | | | | |");
                    continue;
                }
                var (mean, std) = MeanStd(runs.Select(r => r.Top1 * 100).ToArray());
                string failures = failed > 0 ? I($" ({failed} failed)") : "";
                s.AppendLine(I($"| {method} | {mean:F2} ± {std:F2}{failures} | {runs.Count} | {runs.Average(r => r.SizeMiB):F4} | {runs.Average(r => r.BitOpsG):F3} | {runs.Average(r => r.SearchSeconds):F2} | {runs.Average(r => r.RecoverySeconds):F1} |"));
            }
        }
        if (plotPath is not null)
        {
            s.AppendLine();
            foreach (var regime in plan.Regimes)
                s.AppendLine($"![top-1 against model size, {Name(regime)}]({plotPath.Replace("accuracy-size-ptq", $"accuracy-size-{Name(regime)}").Replace("accuracy-size-qat", $"accuracy-size-{Name(regime)}")})");
        }
        s.AppendLine();
        s.AppendLine("Every cell's commands (seed 0 of each method at the table budgets; the others differ in `--seed` and `--size-mb`):");
        s.AppendLine();
        s.AppendLine("```");
        foreach (var r in references) s.AppendLine(r.Command);
        foreach (var regime in plan.Regimes)
            foreach (string method in plan.Methods)
                if (results.FirstOrDefault(c => c.Regime == Name(regime) && c.Method == method && c.Seed == 0
                        && Math.Abs(c.AverageBits - plan.TableBudget[regime]) < 1e-9) is { } cell)
                    foreach (string command in cell.Commands) s.AppendLine(command);
        s.AppendLine("```");
        return s.ToString();
    }

    /// <summary>Mean and sample standard deviation (0 for one value).</summary>
    public static (double Mean, double Std) MeanStd(double[] values)
    {
        double mean = values.Average();
        double std = values.Length > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1)) : 0;
        return (mean, std);
    }

    /// <summary>README text with the section between the markers replaced (appended at the end when there is none).</summary>
    public static string Splice(string readme, string section)
    {
        int begin = readme.IndexOf(BeginMarker, StringComparison.Ordinal);
        int end = readme.IndexOf(EndMarker, StringComparison.Ordinal);
        string block = BeginMarker + "\n" + section + EndMarker;
        if (begin < 0 || end < begin)
        {
            if (begin >= 0 || end >= 0) throw new InvalidInputException($"README has only one of the reproduce markers; expected both or neither");
            return readme.TrimEnd() + "\n\n## Reproduction\n\n" + block + "\n";
        }
        return readme[..begin] + block + readme[(end + EndMarker.Length)..];
    }

    public static string Name(Regime regime) => regime.ToString().ToLowerInvariant();

    private static string Title(Regime regime) => regime == Regime.Ptq ? "Post-training quantization" : "Quantization-aware fine-tuning";
}
