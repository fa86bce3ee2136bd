using System.Globalization;
using System.Text;

namespace Ompq.Benchmarking;

/// <summary>Renders bench records as a Markdown table (used by `ompq bench` and by bench/README.md regeneration).</summary>
public static class BenchTable
{
    public static string Markdown(IEnumerable<BenchRecord> records)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| op | shape | ours ms | libtorch ms | ours GFLOP/s | libtorch GFLOP/s | ours/libtorch | ours % peak | ours GB/s |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in records)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Op} | {r.Shape} | {r.OursMs:F3} | {r.LibtorchMs:F3} | {r.OursGflops:F1} | {r.LibtorchGflops:F1} | {r.Ratio:F2} | {r.OursPercentOfPeak:F0} | {r.OursGbps:F1} |"));
        return sb.ToString();
    }
}
