using System.Diagnostics;

namespace Ompq.Benchmarking;

/// <summary>
/// A plain timing loop for `ompq bench` (BenchmarkDotNet is the rigorous path in bench/): warm up, then run
/// until <c>minSeconds</c> has passed and at least <c>minRuns</c> runs are taken, and report the median.
/// The median resists the noise of a shared machine better than the mean.
/// </summary>
public static class BenchTimer
{
    public static double MedianSeconds(IBenchRunner runner, double minSeconds = 0.5, int minRuns = 5, int warmups = 2)
    {
        for (int i = 0; i < warmups; i++) runner.Run();
        var samples = new List<double>();
        var total = Stopwatch.StartNew();
        while (samples.Count < minRuns || total.Elapsed.TotalSeconds < minSeconds)
        {
            long start = Stopwatch.GetTimestamp();
            runner.Run();
            samples.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
            if (samples.Count >= 1000) break;
        }
        samples.Sort();
        return samples[samples.Count / 2];
    }
}
