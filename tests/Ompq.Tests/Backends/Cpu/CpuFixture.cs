using Ompq.Kernels;
using Ompq.Kernels.Cpu;
using Ompq.Tests.Kernels;

namespace Ompq.Tests.Backends.Cpu;

/// <summary>The SIMD CPU backend: always available; full-size random shapes, 120 cases per op.</summary>
public sealed class CpuFixture : BackendFixture, IBackendCases
{
    public static int CaseCount => 120;

    public override bool Available => true;

    public override ShapeLimits Limits => ShapeLimits.Full;

    protected override IKernels CreateKernels() => new CpuKernels();
}
