using BenchmarkDotNet.Attributes;
using Ompq.Kernels.Cpu;
using Ompq.Runtime.Nn.Graph;

namespace Ompq.Bench;

/// <summary>
/// One training step of <see cref="TrainingWorkload"/> on the CPU backend beside the same step in libtorch, same
/// initial weights, same batch, same thread count. libtorch is the baseline, so BenchmarkDotNet's Ratio reads
/// ours/libtorch in time (lower is better). Weights change every step on both sides; the work per step does not.
/// </summary>
public class TrainingBenchmarks
{
    private CpuKernels? _kernels;
    private GraphModel? _model;
    private OursTrainingStep? _ours;
    private LibtorchTrainingStep? _libtorch;

    [GlobalSetup]
    public void Setup()
    {
        TorchSharp.torch.set_num_threads(Environment.ProcessorCount);
        _kernels = new CpuKernels(Environment.ProcessorCount);
        _model = TrainingWorkload.CreateModel();
        var images = TrainingWorkload.Images(_model);
        var labels = TrainingWorkload.Labels();
        _libtorch = new LibtorchTrainingStep(_model, images, labels);
        _ours = new OursTrainingStep(_model, _kernels, images, labels);
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
        _model?.Dispose();
        _kernels?.Dispose();
    }
}
