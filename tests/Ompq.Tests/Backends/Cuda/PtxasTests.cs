using System.Diagnostics;
using ILGPU.Runtime.Cuda;
using Ompq.Kernels.Ilgpu;

namespace Ompq.Tests.Backends.Cuda;

/// <summary>
/// Runs NVIDIA's ptxas (the PTX → SASS assembler, which needs no GPU) over every kernel, so invalid PTX and
/// register spills of the tiled kernels are caught off the GPU machine. PTX ISA 7.8 is what the oldest ptxas that
/// knows Hopper (CUDA 11.8) accepts. Skips when no ptxas is found (OMPQ_PTXAS or PATH); Debian's non-free
/// nvidia-cuda-toolkit package ships one that runs without a driver.
/// </summary>
public sealed class PtxasTests
{
    [SkippableFact]
    public void EveryKernelAssemblesForHopperWithoutSpills()
    {
        string? ptxas = FindPtxas();
        Skip.If(ptxas is null, "ptxas not found: set OMPQ_PTXAS or put CUDA's ptxas on PATH");

        string directory = Directory.CreateTempSubdirectory("ompq-ptx-").FullName;
        try
        {
            foreach (var (kernel, code) in AheadOfTimeCompiler.CompilePtx(CudaArchitecture.SM_90, CudaInstructionSet.ISA_78))
            {
                string file = Path.Combine(directory, kernel + ".ptx");
                File.WriteAllText(file, code);
                var (exitCode, output) = Run(ptxas!, $"-arch=sm_90 -v -o /dev/null \"{file}\"");
                Assert.True(exitCode == 0, $"ptxas rejected {kernel}: {output}");
                Assert.True(output.Contains("0 bytes spill stores", StringComparison.Ordinal), $"{kernel} spills registers: {output}");
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string? FindPtxas()
    {
        string? configured = Environment.GetEnvironmentVariable("OMPQ_PTXAS");
        if (!string.IsNullOrEmpty(configured)) return File.Exists(configured) ? configured : null;
        foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            string candidate = Path.Combine(folder, "ptxas");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static (int ExitCode, string Output) Run(string program, string arguments)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}
