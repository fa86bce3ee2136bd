namespace Ompq.Kernels.Ilgpu;

/// <summary>
/// Which tile size <see cref="IlgpuKernels"/> uses for Gemm, Linear and the implicit-GEMM convolution; a knob for
/// benchmarks and tuning.
/// </summary>
public enum GemmTiling
{
    /// <summary>
    /// 128×128 tiles when they alone give every multiprocessor at least two groups (and, for convolutions, a group
    /// has at least 128 output channels); 64×64 otherwise.
    /// </summary>
    Auto,
    Tile64,
    Tile128,
}
