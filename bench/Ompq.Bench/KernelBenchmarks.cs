using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using Ompq.Benchmarking;
using Ompq.Kernels;
using Ompq.Kernels.Cpu;

namespace Ompq.Bench;

/// <summary>
/// Every case of <see cref="BenchCatalog"/> on the CPU backend beside libtorch, same shapes, same inputs (one seeded
/// set per case, given to both sides), same thread count. The global setup compares the two outputs once, as `ompq
/// bench` does, and fails the benchmark with the case and the error when they differ. libtorch is the baseline, so
/// BenchmarkDotNet's Ratio column reads ours/libtorch in time (lower is better); the README table inverts it to
/// throughput. BenchmarkDotNet times one method after the other and cannot interleave them: `ompq bench` gives the
/// interleaved ratios with their spread.
/// </summary>
public class KernelBenchmarks
{
    private IKernels? _kernels;
    private IBenchRunner? _ours;
    private IBenchRunner? _libtorch;

    public static bool Quick { get; set; }
    public static string? Filter { get; set; }

    /// <summary>The output comparison of each case set up in this process (the in-process toolchain), by case id.</summary>
    public static ConcurrentDictionary<string, OutputComparison> Comparisons { get; } = new();

    public static IEnumerable<string> Cases() => BenchCatalog.All(Quick)
        .Where(c => c.Matches(Filter))
        .Select(c => c.Id);

    [ParamsSource(nameof(Cases))]
    public string Case { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var c = BenchCatalog.All(Quick).Single(x => x.Id == Case);
        TorchSharp.torch.set_num_threads(Environment.ProcessorCount);
        _kernels = new CpuKernels(Environment.ProcessorCount);
        (_ours, _libtorch) = CaseMeasurement.CreateRunners(c, _kernels);
        try
        {
            Comparisons[c.Id] = CaseMeasurement.Verify(c, _ours, _libtorch);
        }
        catch (OutputMismatchException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            throw;
        }
    }

    [Benchmark(Baseline = true)]
    public void Libtorch() => _libtorch!.Run();

    [Benchmark]
    public void Ours() => _ours!.Run();

    [GlobalCleanup]
    public void Cleanup()
    {
        _ours?.Dispose();
        _libtorch?.Dispose();
        _kernels?.Dispose();
    }
}
