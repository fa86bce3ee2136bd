using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.OpenCL;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace Ompq.Kernels.Ilgpu;

/// <summary>
/// Compiles every kernel of this backend to PTX or OpenCL C without a device, through the same ILGPU backends an
/// accelerator would use. ILGPU's CPU accelerator runs kernels as .NET code and never exercises this path, so this
/// is how code generation is checked on machines without a GPU (and how the PTX can be fed to ptxas offline).
/// </summary>
public static class AheadOfTimeCompiler
{
    /// <summary>PTX for the given architecture, one assembly text per kernel.</summary>
    public static IReadOnlyList<(string Kernel, string Code)> CompilePtx(CudaArchitecture architecture, CudaInstructionSet instructionSet)
    {
        using var context = Context.Create(builder => builder.EnableAlgorithms().Optimize(OptimizationLevel.O2));
        using var backend = new PTXBackend(context, new CudaCapabilityContext(architecture), architecture, instructionSet, nvvmAPI: null);
        return CompileAll(backend, kernel => ((PTXCompiledKernel)kernel).PTXAssembly);
    }

    /// <summary>OpenCL C source for a device with generic address space (what ILGPU requires at run time).</summary>
    public static IReadOnlyList<(string Kernel, string Code)> CompileOpenCL(CLCVersion version)
    {
        using var context = Context.Create(builder => builder.EnableAlgorithms().Optimize(OptimizationLevel.O2));
        var capabilities = new CLCapabilityContext(float16: false, float64: false, genericAddressSpace: true, int64_Atomics: false, subGroups: false);
        using var backend = new CLBackend(context, capabilities, CLDeviceVendor.Other, version);
        return CompileAll(backend, kernel => ((CLCompiledKernel)kernel).Source);
    }

    private static List<(string, string)> CompileAll(Backend backend, Func<CompiledKernel, string> code)
    {
        var results = new List<(string, string)>();
        foreach (var entry in KernelCatalog.All)
        {
            var description = entry.ExplicitlyGrouped
                ? EntryPointDescription.FromExplicitlyGroupedKernel(entry.Method)
                : EntryPointDescription.FromImplicitlyGroupedKernel(entry.Method);
            var compiled = backend.Compile(description, default(KernelSpecialization));
            results.Add((entry.Name, code(compiled)));
        }
        return results;
    }
}
