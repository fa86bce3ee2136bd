using BenchmarkDotNet.Attributes;
using Ompq.Benchmarking;
using Ompq.Kernels;
using Ompq.Kernels.Cpu;

namespace Ompq.Bench;

/// <summary>
/// Every case of <see cref="BenchCatalog"/> on the CPU backend beside libtorch, same shapes, same thread count.
/// libtorch is the baseline, so BenchmarkDotNet's Ratio column reads ours/libtorch in time (lower is better);
/// the README table inverts it to throughput.
/// </summary>
public class KernelBenchmarks
{
    private IKernels? _kernels;
    private IBenchRunner? _ours;
    private IBenchRunner? _libtorch;

    public static bool Quick { get; set; }
    public static string? Filter { get; set; }

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
        _ours = c.Ours(_kernels);
        _libtorch = c.Libtorch();
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
