using ILGPU.Runtime.Cuda;
using Ompq.Kernels.Ilgpu;

namespace Ompq.Tests.Backends.Cuda;

/// <summary>
/// Every ILGPU kernel compiles to PTX (asked for Hopper, sm_90) through ILGPU's PTX backend, with no GPU needed. ILGPU's CPU
/// accelerator runs kernels as .NET code, so without this a construct the PTX backend rejects would surface only on
/// a GPU machine.
/// </summary>
public sealed class PtxCompileTests
{
    private static readonly Lazy<IReadOnlyList<(string Kernel, string Code)>> Ptx =
        new(() => AheadOfTimeCompiler.CompilePtx(CudaArchitecture.SM_90, CudaInstructionSet.ISA_80));

    [Fact]
    public void EveryCataloguedKernelCompilesToAnEntryPoint()
    {
        Assert.Equal(KernelCatalog.All.Select(k => k.Name), Ptx.Value.Select(p => p.Kernel));
        foreach (var (kernel, code) in Ptx.Value)
        {
            Assert.True(code.Contains(".visible .entry", StringComparison.Ordinal), $"{kernel}: no entry point in the PTX");
            Assert.True(code.Contains(".target sm_", StringComparison.Ordinal), $"{kernel}: PTX has no target architecture");
        }
    }

    [Theory]
    [InlineData("GemmKernels.Tiled")]
    [InlineData("GemmLargeTileKernels.Tiled")]
    [InlineData("Conv2dKernels.ImplicitGemm")]
    [InlineData("Conv2dLargeTileKernels.ImplicitGemm")]
    [InlineData("GramKernels.Partials")]
    public void TiledKernelsStageThroughSharedMemoryAndKeepAccumulatorsInRegisters(string kernel)
    {
        string code = Ptx.Value.Single(p => p.Kernel == kernel).Code;
        Assert.Contains("ld.shared.f32", code);
        Assert.Contains("st.shared.f32", code);
        Assert.Contains("bar.sync", code);
        // The 4×4 register block must not become a local-memory array.
        Assert.DoesNotContain(".local", code);
    }

    [Theory]
    [InlineData("MinMaxKernels.Partials")]
    [InlineData("PoolingKernels.GlobalAverage")]
    [InlineData("FakeQuantKernels.ChannelScales")]
    [InlineData("OrthogonalityKernels.Center")]
    [InlineData("ChannelSumKernels.Sum")]
    [InlineData("BatchNormTrainingKernels.Forward")]
    [InlineData("BatchNormTrainingKernels.Backward")]
    public void ReductionsUseGroupSharedMemory(string kernel)
    {
        string code = Ptx.Value.Single(p => p.Kernel == kernel).Code;
        Assert.Contains(".shared", code);
        Assert.Contains("bar.sync", code);
    }
}
