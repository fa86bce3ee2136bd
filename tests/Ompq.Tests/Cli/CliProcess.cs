using System.Diagnostics;

namespace Ompq.Tests.Cli;

/// <summary>
/// Runs the `ompq` executable as a child process, so a crash cannot take the test host down and the run's memory is
/// its own: the peak resident set (Linux VmHWM, a high-water mark) is sampled from /proc while the child runs.
/// </summary>
internal static class CliProcess
{
    public sealed record Result(int ExitCode, string Out, string Error, long PeakBytes, TimeSpan Elapsed);

    public static Result Run(TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "ompq"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        long peak = 0;
        string status = $"/proc/{process.Id}/status";
        while (!process.WaitForExit(5))
        {
            peak = Math.Max(peak, HighWaterMark(status));
            if (clock.Elapsed > timeout)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                throw new TimeoutException($"ompq {string.Join(' ', args)} ran longer than {timeout.TotalSeconds} s");
            }
        }
        process.WaitForExit();
        return new Result(process.ExitCode, stdout.Result, stderr.Result, peak, clock.Elapsed);
    }

    /// <summary>VmHWM in bytes, or 0 where /proc is absent or the process has just exited.</summary>
    private static long HighWaterMark(string statusPath)
    {
        try
        {
            foreach (string line in File.ReadLines(statusPath))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0]) * 1024;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return 0;
    }
}
