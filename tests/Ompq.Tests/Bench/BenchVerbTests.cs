using System.Text.Json;
using Ompq.Tests.Cli;

namespace Ompq.Tests.Bench;

/// <summary>`ompq bench` end to end on one small case: header naming the CPU, the interleaved table and the JSON fields.</summary>
public sealed class BenchVerbTests
{
    [Fact]
    public void Runs_one_case_in_interleaved_rounds_and_writes_the_new_fields()
    {
        string json = Path.Combine(CliRunner.TempDir(), "bench.json");
        var r = BenchCliRunner.Run("bench", "--filter", "gemm 256", "--rounds", "2", "--min-time", "0.05", "--threads", "2", "--json", json);

        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("CPU: ", r.Out);
        Assert.Contains("-bit FMA", r.Out);
        Assert.Contains("ratio q1–q3", r.Out);

        using var document = JsonDocument.Parse(File.ReadAllText(json));
        var root = document.RootElement;
        Assert.Equal(2, root.GetProperty("rounds").GetInt32());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("cpu").GetProperty("model_name").GetString()));
        Assert.Contains(root.GetProperty("peak_fma_bits").GetInt32(), new[] { 128, 256, 512 });
        Assert.Equal(0, root.GetProperty("errors").GetArrayLength());
        var record = Assert.Single(root.GetProperty("records").EnumerateArray());
        Assert.Equal("gemm", record.GetProperty("op").GetString());
        Assert.Equal(2, record.GetProperty("rounds").GetInt32());
        Assert.Equal(2, record.GetProperty("round_ratios").GetArrayLength());
        double median = record.GetProperty("ratio_median").GetDouble();
        Assert.Equal(median, record.GetProperty("ratio").GetDouble());
        Assert.InRange(median, record.GetProperty("ratio_q1").GetDouble(), record.GetProperty("ratio_q3").GetDouble());
        Assert.True(record.GetProperty("compared").GetBoolean());
        Assert.InRange(record.GetProperty("max_rel_err").GetDouble(), 0, 1e-4);
        Assert.True(record.GetProperty("max_abs_err").GetDouble() >= 0);
    }

    [Fact]
    public void Zero_rounds_is_bad_input()
    {
        var r = BenchCliRunner.Run("bench", "--filter", "gemm 256", "--rounds", "0");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("error: --rounds must be >= 1, got 0", r.Error);
    }
}
