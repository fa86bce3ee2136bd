using Ompq.Benchmarking;

namespace Ompq.Tests.Bench;

/// <summary>The interleaved rounds: their order, and the median ratio and spread computed from given per-round samples.</summary>
public sealed class InterleavedTimingTests
{
    [Fact]
    public void Quartiles_interpolate_between_neighbours()
    {
        var q = Quartiles.Of([5.0, 1, 3, 2, 4]);
        Assert.Equal((1.0, 2.0, 3.0, 4.0, 5.0), (q.Min, q.Q1, q.Median, q.Q3, q.Max));
        var even = Quartiles.Of([0.8, 1.2]);
        Assert.Equal(1.0, even.Median, 12);
        Assert.Equal(0.9, even.Q1, 12);
        Assert.Equal(1.1, even.Q3, 12);
        Assert.Equal(7.0, Quartiles.Of([7.0]).Median);
    }

    [Fact]
    public void Ratio_is_the_median_of_per_round_ratios_with_their_quartiles()
    {
        // Per round: (our samples, libtorch samples) in seconds. Round ratios = libtorch median / our median.
        var timing = InterleavedTiming.FromRounds(
        [
            ([1.0, 1.0, 3.0], [2.0, 2.0, 2.0]), // 2.0
            ([2.0, 2.0], [2.0, 2.0]),           // 1.0
            ([1.0], [4.0]),                     // 4.0
            ([1.0, 1.0, 1.0], [3.0, 3.0, 9.0]), // 3.0
        ]);
        Assert.Equal([2.0, 1.0, 4.0, 3.0], timing.RoundRatios);
        Assert.Equal(2.5, timing.Ratio.Median, 12);
        Assert.Equal(1.75, timing.Ratio.Q1, 12);
        Assert.Equal(3.25, timing.Ratio.Q3, 12);
        Assert.Equal((1.0, 4.0), (timing.Ratio.Min, timing.Ratio.Max));
        // Each side's time: the median over all its samples.
        Assert.Equal(1.0, timing.OursSeconds);
        Assert.Equal(2.0, timing.LibtorchSeconds); // median of 2,2,2,2,2,3,3,4,9
        Assert.Equal((9, 9, 4), (timing.OursRuns, timing.LibtorchRuns, timing.Rounds));
    }

    [Fact]
    public void Rounds_alternate_which_side_goes_first()
    {
        var log = new List<string>();
        using var ours = new LoggingRunner("ours", log);
        using var libtorch = new LoggingRunner("libtorch", log);
        var timing = InterleavedTimer.Measure(ours, libtorch, rounds: 3, minSecondsPerSide: 1e-9, minRunsPerSlice: 2, warmups: 1);

        Assert.Equal(
            ["ours", "libtorch",                 // warm-ups
             "ours", "ours", "libtorch", "libtorch",
             "libtorch", "libtorch", "ours", "ours",
             "ours", "ours", "libtorch", "libtorch"], log);
        Assert.Equal(3, timing.Rounds);
        Assert.Equal((6, 6), (timing.OursRuns, timing.LibtorchRuns));
    }

    private sealed class LoggingRunner(string name, List<string> log) : IBenchRunner
    {
        public void Run() => log.Add(name);

        public float[][] RunForOutput() => [];

        public void Dispose()
        {
        }
    }
}
