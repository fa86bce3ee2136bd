using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>The vector instruction set the cpu kernels that have several paths run on.</summary>
public enum CpuIsa
{
    /// <summary>256-bit AVX2 + FMA: the baseline every cpu kernel has.</summary>
    Avx2,

    /// <summary>512-bit AVX-512F: kernels with a wider path use it, the others stay on AVX2.</summary>
    Avx512,
}

/// <summary>
/// Picks the default <see cref="CpuIsa"/> once per process: the environment variable OMPQ_CPU_ISA (avx512 or avx2)
/// when set, so tests and benchmarks can pin a path, otherwise the widest this CPU runs.
/// </summary>
public static class CpuIsas
{
    public const string Variable = "OMPQ_CPU_ISA";

    private static readonly Lazy<CpuIsa> FromEnvironment = new(() => Parse(Environment.GetEnvironmentVariable(Variable)));

    /// <summary>The widest instruction set this CPU supports.</summary>
    public static CpuIsa Best => Avx512F.IsSupported ? CpuIsa.Avx512 : CpuIsa.Avx2;

    /// <summary>What a backend created without an explicit choice uses; throws if OMPQ_CPU_ISA names something unusable here.</summary>
    public static CpuIsa Default => FromEnvironment.Value;

    public static bool IsSupported(CpuIsa isa) => isa switch
    {
        CpuIsa.Avx2 => true,
        CpuIsa.Avx512 => Avx512F.IsSupported,
        _ => false,
    };

    public static string Name(CpuIsa isa) => isa == CpuIsa.Avx512 ? "avx512" : "avx2";

    private static CpuIsa Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return Best;
        CpuIsa isa = value.Trim().ToLowerInvariant() switch
        {
            "avx512" => CpuIsa.Avx512,
            "avx2" => CpuIsa.Avx2,
            _ => throw new KernelArgumentException($"{Variable}={value} is not an instruction set; use avx512 or avx2"),
        };
        if (!IsSupported(isa)) throw new KernelArgumentException($"{Variable}={value} but this CPU does not support {Name(isa)}");
        return isa;
    }
}
