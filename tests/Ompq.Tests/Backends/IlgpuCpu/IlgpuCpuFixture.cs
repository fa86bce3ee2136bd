using Ompq.Kernels;
using Ompq.Kernels.Ilgpu;
using Ompq.Tests.Kernels;

namespace Ompq.Tests.Backends.IlgpuCpu;

/// <summary>
/// The ILGPU kernels on ILGPU's CPU accelerator. It simulates every thread of a group with an OS thread, so grouped
/// kernels run at a few MFLOP/s: small shapes, 20 cases per op, and one test class at a time.
/// </summary>
public sealed class IlgpuCpuFixture : BackendFixture, IBackendCases
{
    public static int CaseCount => 20;

    public override bool Available => true;

    public override ShapeLimits Limits => ShapeLimits.Small;

    protected override IKernels CreateKernels() => new IlgpuKernels(IlgpuDeviceKind.Cpu);
}

/// <summary>Runs the ilgpu-cpu classes one after another: each holds a simulator with 256 threads.</summary>
[CollectionDefinition(Name)]
public sealed class IlgpuCpuCollection
{
    public const string Name = "ilgpu-cpu simulator";
}
