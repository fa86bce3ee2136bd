using Ompq.Kernels;

namespace Ompq.Benchmarking;

/// <summary>
/// One op at one shape, runnable on a backend of ours and on libtorch with identical inputs: <see cref="Inputs"/>
/// are generated once (<see cref="CreateInputs"/>) and both factories build their runner from the same floats.
/// <see cref="Check"/> says how the two outputs are compared before timing. <see cref="Flops"/> counts multiply
/// and add separately (2 per MAC); memory-bound ops count the floats they must move in <see cref="Bytes"/> so their
/// GB/s can be read beside GFLOP/s.
/// </summary>
public sealed record BenchCase(
    string Op,
    string Shape,
    string Suite,
    double Flops,
    double Bytes,
    IReadOnlyList<BenchInput> Inputs,
    Func<IKernels, BenchInputs, IBenchRunner> Ours,
    Func<BenchInputs, IBenchRunner> Libtorch,
    OutputCheck Check)
{
    /// <summary>Fewest timed runs per side in one round (a heavy case sets 1: one run already lasts longer than a round's share).</summary>
    public int MinRunsPerSlice { get; init; } = 3;

    /// <summary>Untimed runs per side after the comparison run and before the first round.</summary>
    public int Warmups { get; init; } = 2;

    public string Id => $"{Op} {Shape}";

    /// <summary>The case's input arrays, from one seeded source.</summary>
    public BenchInputs CreateInputs(int seed = BenchInputs.DefaultSeed) => new(Inputs, seed);

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

    /// <summary>
    /// Runs the op once and returns the outputs the case compares, one host array per output (row-major). Called
    /// once, before any <see cref="Run"/>, so an op that changes its own state (an SGD step, batch-norm running
    /// statistics) is compared after exactly one run from the identical starting state.
    /// </summary>
    float[][] RunForOutput();
}
