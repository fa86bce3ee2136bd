using Ompq.Kernels;
using Ompq.Kernels.Cpu;
using Ompq.Tests.Kernels;

namespace Ompq.Tests.Backends.Cpu;

/// <summary>The CPU backend limited to one worker: the serial code paths (no work splitting) get their own run.</summary>
public sealed class CpuSingleThreadFixture : BackendFixture, IBackendCases
{
    public static int CaseCount => 30;

    public override bool Available => true;

    public override ShapeLimits Limits => ShapeLimits.Full;

    protected override IKernels CreateKernels() => new CpuKernels(threads: 1);
}
