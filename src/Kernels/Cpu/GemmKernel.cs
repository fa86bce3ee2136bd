namespace Ompq.Kernels.Cpu;

/// <summary>
/// A register-blocked micro-kernel: updates an MR×NR tile of C from an MR-row panel of packed A (panel[p·MR + r])
/// and an NR-column panel of packed B (panel[p·NR + j]). One struct per instruction set; the GEMM driver is generic
/// over it, so each gets its own compiled loops and the sizes are constants inside them.
/// </summary>
internal unsafe interface IMicroKernel
{
    static abstract int MR { get; }

    static abstract int NR { get; }

    /// <summary>C[0..rows, 0..cols) = beta·C + A·B over kc; beta = 0 ignores C's old contents (even NaN).</summary>
    static abstract void Tile(int kc, float* a, float* b, float* c, int ldc, int rows, int cols, float beta);
}
