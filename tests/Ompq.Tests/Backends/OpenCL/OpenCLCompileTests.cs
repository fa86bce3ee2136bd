using ILGPU.Backends.OpenCL;
using Ompq.Kernels.Ilgpu;

namespace Ompq.Tests.Backends.OpenCL;

/// <summary>
/// Every ILGPU kernel compiles to OpenCL C 2.0 source through ILGPU's OpenCL backend, with no device needed (no
/// OpenCL device ILGPU accepts exists on this machine).
/// </summary>
public sealed class OpenCLCompileTests
{
    [Fact]
    public void EveryCataloguedKernelCompilesToOpenCLC()
    {
        var sources = AheadOfTimeCompiler.CompileOpenCL(CLCVersion.CL20);
        Assert.Equal(KernelCatalog.All.Select(k => k.Name), sources.Select(s => s.Kernel));
        foreach (var (kernel, code) in sources)
            Assert.True(code.Contains("kernel void", StringComparison.Ordinal), $"{kernel}: no kernel function in the OpenCL C");
        string gemm = sources.Single(s => s.Kernel == "GemmKernels.Tiled").Code;
        Assert.Contains("local float", gemm);
        Assert.Contains("work_group_barrier", gemm);
    }
}
