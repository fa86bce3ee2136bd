using System.Text.Json.Serialization;

namespace Ompq.Benchmarking;

/// <summary>
/// One measured case: both sides' median times, the derived rates, the interleaved ratio with its spread, and the
/// output comparison. Ratio = libtorch time / our time (≥ 1 = we are faster); <see cref="Ratio"/> equals
/// <see cref="RatioMedian"/> (the median of the per-round ratios) so consumers of the older records keep working.
/// </summary>
public sealed record BenchRecord(
    [property: JsonPropertyName("op")] string Op,
    [property: JsonPropertyName("shape")] string Shape,
    [property: JsonPropertyName("suite")] string Suite,
    [property: JsonPropertyName("ours_ms")] double OursMs,
    [property: JsonPropertyName("libtorch_ms")] double LibtorchMs,
    [property: JsonPropertyName("ours_gflops")] double OursGflops,
    [property: JsonPropertyName("libtorch_gflops")] double LibtorchGflops,
    [property: JsonPropertyName("ours_gbps")] double OursGbps,
    [property: JsonPropertyName("ratio")] double Ratio,
    [property: JsonPropertyName("ours_pct_peak")] double OursPercentOfPeak)
{
    [JsonPropertyName("ratio_median")] public double RatioMedian { get; init; } = Ratio;
    [JsonPropertyName("ratio_q1")] public double? RatioQ1 { get; init; }
    [JsonPropertyName("ratio_q3")] public double? RatioQ3 { get; init; }
    [JsonPropertyName("ratio_min")] public double? RatioMin { get; init; }
    [JsonPropertyName("ratio_max")] public double? RatioMax { get; init; }

    /// <summary>Interleaved rounds (null when the times came from BenchmarkDotNet, which does not interleave).</summary>
    [JsonPropertyName("rounds")] public int? Rounds { get; init; }
    /// <summary>Each round's ratio (libtorch's median time in the round / ours), in round order.</summary>
    [JsonPropertyName("round_ratios")] public IReadOnlyList<double>? RoundRatios { get; init; }
    [JsonPropertyName("ours_runs")] public int? OursRuns { get; init; }
    [JsonPropertyName("libtorch_runs")] public int? LibtorchRuns { get; init; }
    [JsonPropertyName("libtorch_pct_peak")] public double LibtorchPercentOfPeak { get; init; }

    /// <summary>Whether the outputs were compared before timing (false: see <see cref="Check"/> for why not).</summary>
    [JsonPropertyName("compared")] public bool Compared { get; init; }

    /// <summary>Largest |ours − libtorch| over the compared outputs.</summary>
    [JsonPropertyName("max_abs_err")] public double? MaxAbsError { get; init; }

    /// <summary>Largest max|ours − libtorch| / max|libtorch| over the compared outputs.</summary>
    [JsonPropertyName("max_rel_err")] public double? MaxRelError { get; init; }

    /// <summary>Fake-quant cases: elements one quantization step apart (rounding ties).</summary>
    [JsonPropertyName("quant_flips")] public long? QuantFlips { get; init; }

    /// <summary>The comparison rule, or why the case is not compared.</summary>
    [JsonPropertyName("check")] public string Check { get; init; } = "";

    /// <summary>From two median times (BenchmarkDotNet's, or any single pair): the ratio has no spread.</summary>
    public static BenchRecord From(BenchCase c, double oursSeconds, double torchSeconds, double peakGflops) => new(
        c.Op, c.Shape, c.Suite,
        oursSeconds * 1e3, torchSeconds * 1e3,
        c.Flops / oursSeconds / 1e9, c.Flops / torchSeconds / 1e9,
        c.Bytes / oursSeconds / 1e9,
        torchSeconds / oursSeconds,
        100 * c.Flops / oursSeconds / 1e9 / peakGflops)
    {
        LibtorchPercentOfPeak = 100 * c.Flops / torchSeconds / 1e9 / peakGflops,
        Check = c.Check.Describe(),
    };

    /// <summary>From an interleaved measurement and the comparison that preceded it.</summary>
    public static BenchRecord From(BenchCase c, InterleavedTiming timing, OutputComparison comparison, double peakGflops)
        => From(c, timing.OursSeconds, timing.LibtorchSeconds, peakGflops) with
        {
            Ratio = timing.Ratio.Median,
            RatioMedian = timing.Ratio.Median,
            RatioQ1 = timing.Ratio.Q1,
            RatioQ3 = timing.Ratio.Q3,
            RatioMin = timing.Ratio.Min,
            RatioMax = timing.Ratio.Max,
            Rounds = timing.Rounds,
            RoundRatios = timing.RoundRatios,
            OursRuns = timing.OursRuns,
            LibtorchRuns = timing.LibtorchRuns,
            Compared = comparison.Compared,
            MaxAbsError = comparison.MaxAbsError,
            MaxRelError = comparison.MaxRelError,
            QuantFlips = comparison.QuantFlips,
        };
}
