using System.Runtime.InteropServices;
using System.Text;
using Ompq.Benchmarking;
using Ompq.Runtime.Io;

namespace Ompq.Bench;

/// <summary>Replaces the text between the results markers of bench/README.md with a freshly measured table, dated and labelled with the machine.</summary>
public static class ReadmeTable
{
    public const string Begin = "<!-- kernel-results:begin -->";
    public const string End = "<!-- kernel-results:end -->";

    public static void Write(string readmePath, string table, double peakGflops, bool quick)
    {
        string text = File.ReadAllText(readmePath);
        int b = text.IndexOf(Begin, StringComparison.Ordinal);
        int e = text.IndexOf(End, StringComparison.Ordinal);
        if (b < 0 || e < b) throw new InvalidDataException($"{readmePath} lacks the {Begin} / {End} markers");
        string command = $"dotnet run -c Release --project bench/Ompq.Bench -- {(quick ? "--quick " : "")}--write-readme";
        string header = FormattableString.Invariant(
            $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} threads of {MachineDescription.Current} ({RuntimeInformation.OSDescription.Trim()}, .NET {Environment.Version}); fp32 FMA peak measured {peakGflops:F0} GFLOP/s ({FmaPeak.WidthBits}-bit FMA). Command: `{command}`. BenchmarkDotNet ShortRun, in-process, medians (not interleaved: `ompq bench` gives interleaved ratios with their spread); outputs compared before timing. Ratio = ours/libtorch in throughput (> 1: ours faster).\n\n");
        string updated = text[..(b + Begin.Length)] + "\n" + header + table + text[e..];
        AtomicFile.Write(readmePath, Encoding.UTF8.GetBytes(updated));
    }
}
