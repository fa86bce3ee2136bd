namespace Ompq.Kernels.Cpu;

/// <summary>
/// Where C[m, j] lives. Rows are <see cref="RowStride"/> apart; columns are contiguous in runs (a plain
/// matrix is one run per row; a convolution batched over images breaks the run at each image).
/// </summary>
internal unsafe interface IGemmOutput
{
    int RowStride { get; }

    float* At(int row, int column);

    /// <summary>How many columns from <paramref name="column"/> on are contiguous in memory.</summary>
    int Run(int column);
}

internal readonly unsafe struct DenseC(float* c, int ldc) : IGemmOutput
{
    public int RowStride => ldc;
    public float* At(int row, int column) => c + (long)row * ldc + column;
    public int Run(int column) => int.MaxValue;
}

/// <summary>Output of a convolution whose GEMM columns run over (image, pixel): y[image, row, pixel] of an NCHW tensor.</summary>
internal readonly unsafe struct ImagesC(float* y, int pixels, long imageStride) : IGemmOutput
{
    public int RowStride => pixels;
    public float* At(int row, int column) => y + column / pixels * imageStride + (long)row * pixels + column % pixels;
    public int Run(int column) => pixels - column % pixels;
}
