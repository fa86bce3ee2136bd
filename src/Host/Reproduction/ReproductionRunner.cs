using System.Diagnostics;
using System.Text.Json;
using Ompq.Runtime;

namespace Ompq.Host.Reproduction;

/// <summary>
/// Runs one cell (search → PTQ or QAT → eval) through the same verbs a user runs, in this process, and reads their
/// JSON. A failing step stops the reproduction with that step's own error line and command.
/// </summary>
public sealed class ReproductionRunner(ReproductionPlan plan)
{
    public CellResult Run(ReproductionCell cell, double budgetMiB)
    {
        string dir = plan.CellDir(cell);
        Directory.CreateDirectory(dir);
        string report = Path.Combine(dir, "search.json");
        string checkpoint = Path.Combine(dir, cell.Regime == Regime.Ptq ? "ptq.safetensors" : "qat.safetensors");
        // A cell interrupted mid-way left partial files behind; its record is absent, so it starts over cleanly.
        foreach (var stale in new[] { report, checkpoint }) File.Delete(stale);

        var search = plan.SearchCommand(cell, budgetMiB, report);
        var searchJson = Invoke(search, out double searchWall);
        double searchSeconds = SearchSeconds(searchJson) ?? searchWall;
        double size = searchJson.GetProperty("size_mib").GetDouble();
        double bitOps = searchJson.GetProperty("bitops_g").GetDouble();

        var recovery = plan.RecoveryCommand(cell, report, checkpoint);
        double recoverySeconds;
        try
        {
            Invoke(recovery, out recoverySeconds);
        }
        catch (InvalidInputException e)
        {
            // A fine-tune that diverges is a result of that cell, not a reason to stop the others.
            return new CellResult(cell.Key, ReproductionTable.Name(cell.Regime), cell.Method, cell.AverageBits, cell.Seed, budgetMiB,
                0, size, bitOps, searchSeconds, 0, checkpoint, new[] { ReproductionPlan.Format(search), ReproductionPlan.Format(recovery) }, e.Message);
        }
        var eval = plan.EvalCommand(checkpoint);
        double top1 = Invoke(eval, out _).GetProperty("top1").GetDouble();
        return new CellResult(cell.Key, ReproductionTable.Name(cell.Regime), cell.Method, cell.AverageBits, cell.Seed, budgetMiB,
            top1, size, bitOps, searchSeconds, recoverySeconds, checkpoint,
            new[] { ReproductionPlan.Format(search), ReproductionPlan.Format(recovery), ReproductionPlan.Format(eval) });
    }

    /// <summary>
    /// Runs `ompq ARGS` in-process; its stdout must be one JSON document. With <paramref name="progress"/> the verb's
    /// stderr (its progress line) goes there, else it is kept for the error message.
    /// </summary>
    public static JsonElement Invoke(string[] args, out double seconds, TextWriter? progress = null, bool interactive = false)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var clock = Stopwatch.StartNew();
        int code = Cli.Run(args, stdout, progress is null ? stderr : new TeeWriter(stderr, progress), interactive);
        seconds = clock.Elapsed.TotalSeconds;
        if (code != Cli.Ok)
        {
            string error = stderr.ToString().Split('\n').FirstOrDefault(l => l.StartsWith("error:", StringComparison.Ordinal))?["error:".Length..].Trim()
                ?? $"exit code {code}";
            throw new InvalidInputException($"`{ReproductionPlan.Format(args)}` failed: {error}");
        }
        try
        {
            using var doc = JsonDocument.Parse(stdout.ToString());
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"`{ReproductionPlan.Format(args)}` printed no JSON: {e.Message}", e);
        }
    }

    /// <summary>Writes to a buffer (for the error line) and to the user's stream (for the progress line).</summary>
    private sealed class TeeWriter(TextWriter keep, TextWriter show) : TextWriter
    {
        public override System.Text.Encoding Encoding => show.Encoding;
        public override void Write(char value)
        {
            keep.Write(value);
            show.Write(value);
        }
        public override void Write(string? value)
        {
            keep.Write(value);
            show.Write(value);
        }
        public override void Flush() => show.Flush();
    }

    /// <summary>The search's own time (what the allocation costs), without loading the model and the data.</summary>
    private static double? SearchSeconds(JsonElement report)
    {
        if (!report.TryGetProperty("timings_s", out var t)) return null;
        if (t.TryGetProperty("total", out var total)) return total.GetDouble();
        double sum = 0;
        foreach (var part in new[] { "features", "orm", "solve", "hessian" })
            if (t.TryGetProperty(part, out var v)) sum += v.GetDouble();
        return sum;
    }
}
