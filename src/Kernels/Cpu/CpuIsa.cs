using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>The vector instruction set the cpu kernels run on.</summary>
public enum CpuIsa
{
    /// <summary>
    /// 256-bit AVX2 + FMA: the baseline of the tuned kernels; every kernel has this path.
    /// </summary>
    Avx2,

    /// <summary>512-bit AVX-512F: GEMM, direct and Winograd convolutions, weight gradients, Gram, depthwise, max pooling, elementwise ops, fake quant and min/max reductions have a 512-bit path; the rest (channel sum, average pooling, the gradient elementwise ops) stay on AVX2.</summary>
    Avx512,

    /// <summary>
    /// No x86 intrinsics at all: scalar loops and the cross-platform <c>Vector128</c> (hardware-accelerated on SSE and on
    /// ARM64's AdvSimd alike) in the GEMM micro-kernel and reductions. What a CPU without AVX2/FMA, or an ARM64 one, runs.
    /// </summary>
    Portable,
}

/// <summary>
/// Picks the default <see cref="CpuIsa"/> once per process: the environment variable OMPQ_CPU_ISA (avx512, avx2 or
/// portable) when set, so tests and benchmarks can pin a path, otherwise the widest this CPU runs.
/// </summary>
public static class CpuIsas
{
    public const string Variable = "OMPQ_CPU_ISA";

    private static readonly Lazy<CpuIsa> FromEnvironment = new(() => Parse(Environment.GetEnvironmentVariable(Variable)));

    /// <summary>The widest instruction set this CPU supports.</summary>
    public static CpuIsa Best => IsSupported(CpuIsa.Avx512) ? CpuIsa.Avx512 : IsSupported(CpuIsa.Avx2) ? CpuIsa.Avx2 : CpuIsa.Portable;

    /// <summary>What a backend created without an explicit choice uses; throws if OMPQ_CPU_ISA names something unusable here.</summary>
    public static CpuIsa Default => FromEnvironment.Value;

    /// <summary>
    /// The 512-bit kernels also use AVX2/FMA for their edges and for the ops without a wide path, so AVX-512 counts
    /// only together with them (true on every CPU that has AVX-512F).
    /// </summary>
    public static bool IsSupported(CpuIsa isa) => isa switch
    {
        CpuIsa.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        CpuIsa.Avx512 => Avx512F.IsSupported && Avx2.IsSupported && Fma.IsSupported,
        CpuIsa.Portable => true,
        _ => false,
    };

    /// <summary>False on the portable path: the kernel must not touch Avx/Avx2/Fma intrinsics.</summary>
    public static bool HasAvx2(this CpuIsa isa) => isa != CpuIsa.Portable;

    public static string Name(CpuIsa isa) => isa switch
    {
        CpuIsa.Avx512 => "avx512",
        CpuIsa.Avx2 => "avx2",
        _ => "portable",
    };

    private static CpuIsa Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return Best;
        CpuIsa isa = value.Trim().ToLowerInvariant() switch
        {
            "avx512" => CpuIsa.Avx512,
            "avx2" => CpuIsa.Avx2,
            "portable" => CpuIsa.Portable,
            _ => throw new KernelArgumentException($"{Variable}={value} is not an instruction set; use avx512, avx2 or portable"),
        };
        if (!IsSupported(isa)) throw new KernelArgumentException($"{Variable}={value} but this CPU does not support {Name(isa)}");
        return isa;
    }
}
