using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu.Integer;

/// <summary>
/// Picks the default <see cref="IntegerIsa"/> once per process: OMPQ_INT_ISA (vnni, avx2 or portable) when set, so
/// tests and benchmarks can pin a path, otherwise the best this CPU runs. .NET 10 exposes vpdpbusd as AVX-VNNI (VEX,
/// 256-bit); the 512-bit EVEX form has no managed intrinsic, so the VNNI path is 256 bits wide on AVX-512 machines too.
/// </summary>
public static class IntegerIsas
{
    public const string Variable = "OMPQ_INT_ISA";

    private static readonly Lazy<IntegerIsa> FromEnvironment = new(() => Parse(Environment.GetEnvironmentVariable(Variable)));

    public static IntegerIsa Best => AvxVnni.IsSupported ? IntegerIsa.Vnni : Avx2.IsSupported && Fma.IsSupported ? IntegerIsa.Avx2 : IntegerIsa.Portable;

    public static IntegerIsa Default => FromEnvironment.Value;

    public static bool IsSupported(IntegerIsa isa) => isa switch
    {
        IntegerIsa.Portable => true,
        IntegerIsa.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        IntegerIsa.Vnni => AvxVnni.IsSupported && Avx2.IsSupported && Fma.IsSupported,
        _ => false,
    };

    /// <summary>Every path this CPU runs (what the tests iterate).</summary>
    public static IReadOnlyList<IntegerIsa> Supported => Enum.GetValues<IntegerIsa>().Where(IsSupported).ToArray();

    public static string Name(IntegerIsa isa) => isa switch
    {
        IntegerIsa.Vnni => "vnni",
        IntegerIsa.Avx2 => "avx2",
        _ => "portable",
    };

    public static IntegerIsa Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return Best;
        IntegerIsa isa = value.Trim().ToLowerInvariant() switch
        {
            "vnni" => IntegerIsa.Vnni,
            "avx2" => IntegerIsa.Avx2,
            "portable" => IntegerIsa.Portable,
            _ => throw new KernelArgumentException($"{Variable}={value} is not an integer kernel path; use vnni, avx2 or portable"),
        };
        if (!IsSupported(isa)) throw new KernelArgumentException($"{Variable}={value} but this CPU does not support {Name(isa)}");
        return isa;
    }
}
