namespace Ompq.Kernels.Ilgpu;

/// <summary>Which GEMM kernel <see cref="IlgpuKernels"/> uses for Gemm and Linear; a knob for benchmarks and tuning.</summary>
public enum GemmTiling
{
    /// <summary>128×128 tiles when they alone give every multiprocessor at least two groups, 64×64 otherwise.</summary>
    Auto,
    Tile64,
    Tile128,
}
