using System.Text.Json.Serialization;

namespace Ompq.Benchmarking;

/// <summary>One measured case: both sides' median times and the derived rates. Ratio = ours/libtorch in throughput (≥ 1 = we are faster).</summary>
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
    public static BenchRecord From(BenchCase c, double oursSeconds, double torchSeconds, double peakGflops) => new(
        c.Op, c.Shape, c.Suite,
        oursSeconds * 1e3, torchSeconds * 1e3,
        c.Flops / oursSeconds / 1e9, c.Flops / torchSeconds / 1e9,
        c.Bytes / oursSeconds / 1e9,
        torchSeconds / oursSeconds,
        100 * c.Flops / oursSeconds / 1e9 / peakGflops);
}
