using Ompq.Kernels;

namespace Ompq.Benchmarking;

/// <summary>
/// One op at one shape, runnable on a backend of ours and on libtorch with identical inputs.
/// <see cref="Flops"/> counts multiply and add separately (2 per MAC); memory-bound ops count the
/// floats they must move in <see cref="Bytes"/> so their GB/s can be read beside GFLOP/s.
/// </summary>
public sealed record BenchCase(
    string Op,
    string Shape,
    string Suite,
    double Flops,
    double Bytes,
    Func<IKernels, IBenchRunner> Ours,
    Func<IBenchRunner> Libtorch)
{
    public string Id => $"{Op} {Shape}";

    /// <summary>The selection rule of --filter: the text occurs in "op shape", or names the suite (e.g. "training").</summary>
    public bool Matches(string? filter) => filter is null
        || Id.Contains(filter, StringComparison.OrdinalIgnoreCase)
        || Suite.Equals(filter, StringComparison.OrdinalIgnoreCase);
    public override string ToString() => Id;
}

/// <summary>Inputs are prepared in the factory; <see cref="Run"/> executes the op once and waits for it to finish.</summary>
public interface IBenchRunner : IDisposable
{
    void Run();
}
