using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Ompq.Tests.Cli;

/// <summary>
/// The `ompq` tool's runtime settings against a cold-start penalty (bench/README.md, "Cold start"): a method with a loop
/// is compiled fully optimized on its first call, so no kernel of a fresh process runs its loops as tier-0 code.
/// </summary>
public sealed class ColdStartTests
{
    [Fact]
    public void RuntimeConfigCompilesLoopsOptimizedAndKeepsTieringWithPgo()
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "ompq.runtimeconfig.json")))!;
        var properties = config["runtimeOptions"]!["configProperties"]!.AsObject();
        Assert.False((bool)properties["System.Runtime.TieredCompilation.QuickJitForLoops"]!);
        Assert.True((bool)properties["System.Runtime.TieredPGO"]!);
        // Tiering itself stays on: without it (and without PGO) the steady-state search took about twice the CPU time.
        Assert.False(properties.ContainsKey("System.Runtime.TieredCompilation"));
    }

    [Fact]
    public async Task FreshSearchRunsNoKernelLoopAsTierZeroCode()
    {
        // The JIT's own summary of what it compiled: on-stack replacement ("OSR") is how a tier-0 method escapes a
        // hot loop, so none of it in our code means no loop of ours started unoptimized.
        string summary = Path.Combine(Path.GetTempPath(), $"ompq-jit-{Guid.NewGuid():N}.txt");
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "ompq"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "search", "--model", "resnet20", "--data", "synthetic", "--images", "8", "--size-mb", "0.2", "--json" })
            start.ArgumentList.Add(a);
        start.Environment["DOTNET_JitDisasmSummary"] = "1";
        start.Environment["DOTNET_JitStdOutFile"] = summary;
        try
        {
            using var process = Process.Start(start)!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            string error = await process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            await stdout;
            Assert.True(process.ExitCode == 0, error);

            var ours = File.ReadAllLines(summary).Where(line => line.Contains(" Ompq.", StringComparison.Ordinal)).ToList();
            Assert.Contains(ours, line => line.Contains("Ompq.Kernels.Cpu.", StringComparison.Ordinal));
            Assert.DoesNotContain(ours, line => line.Contains("OSR", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(summary);
        }
    }
}
