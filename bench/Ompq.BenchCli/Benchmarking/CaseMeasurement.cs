using Ompq.Kernels;

namespace Ompq.Benchmarking;

/// <summary>Our outputs differ from libtorch's beyond the case's tolerance: the message names the case and the error.</summary>
public sealed class OutputMismatchException(BenchCase benchCase, OutputComparison comparison)
    : Exception($"{benchCase.Id}: ours differs from libtorch: {comparison.Problem}")
{
    public BenchCase Case { get; } = benchCase;
    public OutputComparison Comparison { get; } = comparison;
}

/// <summary>
/// The steps every measurement of a case takes, for `ompq bench` and the BenchmarkDotNet project alike: build both
/// runners from one set of inputs, compare their outputs once (a mismatch stops the case before anything is
/// timed), then time them.
/// </summary>
public static class CaseMeasurement
{
    /// <summary>Both runners, built from the same generated inputs (which are dropped afterwards: each runner holds its copy).</summary>
    public static (IBenchRunner Ours, IBenchRunner Libtorch) CreateRunners(BenchCase c, IKernels kernels)
    {
        var inputs = c.CreateInputs();
        var ours = c.Ours(kernels, inputs);
        try
        {
            return (ours, c.Libtorch(inputs));
        }
        catch
        {
            ours.Dispose();
            throw;
        }
    }

    /// <summary>Runs each side once and compares the outputs; throws <see cref="OutputMismatchException"/> when they differ beyond the tolerance.</summary>
    public static OutputComparison Verify(BenchCase c, IBenchRunner ours, IBenchRunner libtorch)
    {
        if (!c.Check.IsCompared) return OutputComparison.NotCompared;
        var comparison = OutputComparer.Compare(c.Check, ours.RunForOutput(), libtorch.RunForOutput());
        return comparison.Passed ? comparison : throw new OutputMismatchException(c, comparison);
    }

    /// <summary>Builds, verifies and times one case in interleaved rounds.</summary>
    /// <exception cref="OutputMismatchException">The outputs differ; nothing was timed.</exception>
    public static BenchRecord Measure(BenchCase c, IKernels kernels, int rounds, double minSecondsPerSide, double peakGflops)
    {
        var (ours, libtorch) = CreateRunners(c, kernels);
        using (ours)
        using (libtorch)
        {
            var comparison = Verify(c, ours, libtorch);
            var timing = InterleavedTimer.Measure(ours, libtorch, rounds, minSecondsPerSide, c.MinRunsPerSlice, c.Warmups);
            return BenchRecord.From(c, timing, comparison, peakGflops);
        }
    }
}
