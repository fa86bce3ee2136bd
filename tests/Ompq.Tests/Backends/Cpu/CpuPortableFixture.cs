using Ompq.Kernels;
using Ompq.Kernels.Cpu;
using Ompq.Tests.Kernels;

namespace Ompq.Tests.Backends.Cpu;

/// <summary>
/// The CPU backend pinned to its portable kernels (no x86 intrinsics: what a CPU without AVX2/FMA, or an ARM64 one, runs),
/// available on every machine. Its loops are mostly scalar, so it gets the AVX2 run's smaller case count.
/// </summary>
public sealed class CpuPortableFixture : BackendFixture, IBackendCases
{
    public static int CaseCount => 30;

    public override bool Available => true;

    public override ShapeLimits Limits => ShapeLimits.Full;

    protected override IKernels CreateKernels() => new CpuKernels(isa: CpuIsa.Portable);
}
