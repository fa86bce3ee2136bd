using Ompq.Kernels;
using Ompq.Kernels.Cpu;
using Ompq.Tests.Kernels;

namespace Ompq.Tests.Backends.Cpu;

/// <summary>
/// The CPU backend pinned to its AVX2 kernels: on an AVX-512 machine <see cref="CpuFixture"/> runs the 512-bit paths,
/// so the 256-bit ones (what CPUs without AVX-512 run) get their own run here. Skipped where the CPU has no AVX2/FMA.
/// </summary>
public sealed class CpuAvx2Fixture : BackendFixture, IBackendCases
{
    public static int CaseCount => 30;

    public override bool Available => CpuIsas.IsSupported(CpuIsa.Avx2);

    public override string SkipReason => "this CPU has no AVX2/FMA (the portable fixture runs its kernels instead)";

    public override ShapeLimits Limits => ShapeLimits.Full;

    protected override IKernels CreateKernels() => new CpuKernels(isa: CpuIsa.Avx2);
}
