using System.Diagnostics;

namespace Ompq.Benchmarking;

/// <summary>
/// The timing of one case in interleaved rounds: in each round a slice of our runs and a slice of libtorch's, taken
/// back to back so both see the same machine. Each side's time is the median of all its samples; the ratio
/// (libtorch time / our time, ≥ 1 = we are faster) is the median of the per-round ratios, whose quartiles show how
/// much the machine moved between rounds.
/// </summary>
public sealed record InterleavedTiming(double OursSeconds, double LibtorchSeconds, IReadOnlyList<double> RoundRatios, Quartiles Ratio,
    int OursRuns, int LibtorchRuns)
{
    public int Rounds => RoundRatios.Count;

    /// <summary>The statistics of given rounds: each round's samples (seconds per run) of both sides.</summary>
    public static InterleavedTiming FromRounds(IReadOnlyList<(IReadOnlyList<double> Ours, IReadOnlyList<double> Libtorch)> rounds)
    {
        if (rounds.Count == 0) throw new ArgumentException("no rounds", nameof(rounds));
        if (rounds.Any(r => r.Ours.Count == 0 || r.Libtorch.Count == 0)) throw new ArgumentException("a round without samples", nameof(rounds));
        var ratios = rounds.Select(r => Quartiles.MedianOf(r.Libtorch) / Quartiles.MedianOf(r.Ours)).ToArray();
        return new(
            Quartiles.MedianOf(rounds.SelectMany(r => r.Ours)),
            Quartiles.MedianOf(rounds.SelectMany(r => r.Libtorch)),
            ratios, Quartiles.Of(ratios),
            rounds.Sum(r => r.Ours.Count), rounds.Sum(r => r.Libtorch.Count));
    }
}

/// <summary>
/// Times two runners in interleaved rounds (a plain loop: BenchmarkDotNet cannot interleave). Round r times a slice
/// of one side then a slice of the other, the first side alternating, so a slow spell of the shared machine lands on
/// both sides instead of on whichever was being timed.
/// </summary>
public static class InterleavedTimer
{
    /// <summary>At most this many runs in one slice, for ops of microseconds.</summary>
    public const int MaxRunsPerSlice = 2000;

    /// <param name="rounds">Rounds (each side timed once per round).</param>
    /// <param name="minSecondsPerSide">Total time each side is timed at least; a slice lasts at least its share of it.</param>
    /// <param name="minRunsPerSlice">Fewest runs per side in one slice.</param>
    /// <param name="warmups">Untimed runs per side before the first round.</param>
    public static InterleavedTiming Measure(IBenchRunner ours, IBenchRunner libtorch, int rounds, double minSecondsPerSide,
        int minRunsPerSlice = 3, int warmups = 2)
    {
        if (rounds < 1) throw new ArgumentOutOfRangeException(nameof(rounds), $"rounds must be >= 1, got {rounds}");
        for (int i = 0; i < warmups; i++) ours.Run();
        for (int i = 0; i < warmups; i++) libtorch.Run();
        double sliceSeconds = minSecondsPerSide / rounds;
        var samples = new List<(IReadOnlyList<double>, IReadOnlyList<double>)>(rounds);
        for (int r = 0; r < rounds; r++)
        {
            List<double> oursSlice, torchSlice;
            if (r % 2 == 0)
            {
                oursSlice = Slice(ours, sliceSeconds, minRunsPerSlice);
                torchSlice = Slice(libtorch, sliceSeconds, minRunsPerSlice);
            }
            else
            {
                torchSlice = Slice(libtorch, sliceSeconds, minRunsPerSlice);
                oursSlice = Slice(ours, sliceSeconds, minRunsPerSlice);
            }
            samples.Add((oursSlice, torchSlice));
        }
        return InterleavedTiming.FromRounds(samples);
    }

    private static List<double> Slice(IBenchRunner runner, double seconds, int minRuns)
    {
        var samples = new List<double>();
        long start = Stopwatch.GetTimestamp();
        while ((samples.Count < minRuns || Stopwatch.GetElapsedTime(start).TotalSeconds < seconds) && samples.Count < MaxRunsPerSlice)
        {
            long t = Stopwatch.GetTimestamp();
            runner.Run();
            samples.Add(Stopwatch.GetElapsedTime(t).TotalSeconds);
        }
        return samples;
    }
}
