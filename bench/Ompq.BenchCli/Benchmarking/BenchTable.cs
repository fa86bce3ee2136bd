using System.Globalization;
using System.Text;

namespace Ompq.Benchmarking;

/// <summary>Renders bench records as a Markdown table (bench/README.md regeneration): the ratio's spread and the output error show as "—" where a record has none.</summary>
public static class BenchTable
{
    public static string Markdown(IEnumerable<BenchRecord> records)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| op | shape | ours ms | libtorch ms | ours GFLOP/s | libtorch GFLOP/s | ours/libtorch | ratio q1–q3 | max err | ours % peak | ours GB/s |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in records)
        {
            string spread = r.RatioQ1 is { } q1 && r.RatioQ3 is { } q3 ? string.Create(CultureInfo.InvariantCulture, $"{q1:F2}–{q3:F2}") : "—";
            string error = r.Compared && r.MaxRelError is { } rel ? rel.ToString("0.0e+0", CultureInfo.InvariantCulture) : "—";
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Op} | {r.Shape} | {r.OursMs:F3} | {r.LibtorchMs:F3} | {r.OursGflops:F1} | {r.LibtorchGflops:F1} | {r.Ratio:F2} | {spread} | {error} | {r.OursPercentOfPeak:F0} | {r.OursGbps:F1} |"));
        }
        return sb.ToString();
    }
}
