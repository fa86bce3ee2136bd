using Ompq.Kernels;
using Ompq.Kernels.Ilgpu;
using Ompq.Tests.Kernels;

namespace Ompq.Tests.Backends.OpenCL;

/// <summary>The ILGPU kernels on the first OpenCL 2.0+ device with generic address space; every test skips with the probe's reason when there is none.</summary>
public sealed class OpenCLFixture : BackendFixture, IBackendCases
{
    private static readonly Lazy<IlgpuDeviceReport> Report = new(() => IlgpuDeviceProbe.Probe(IlgpuDeviceKind.OpenCL));

    public static int CaseCount => 120;

    public override bool Available => Report.Value.Available;

    public override string SkipReason => Report.Value.Reason ?? "available";

    public override ShapeLimits Limits => ShapeLimits.Full;

    protected override IKernels CreateKernels() => new IlgpuKernels(IlgpuDeviceKind.OpenCL);
}
