namespace Ompq.Kernels.Cpu;

/// <summary>
/// Packs a convolution's weights (one group: Kg rows × Cg·R·S, row-major) once as the GEMM's A operand, a
/// <see cref="PrePackedA"/> per group: for each K slice the MR-row panels of all rows, so the panels of (i0, p0) start at
/// p0·RoundUp(M, MR) + i0·kc. Packed on all workers, a (slice, panel) pair at a time, with 8×8 register transposes where
/// 8 rows and 8 columns are available: packed serially and element by element, a deep layer's weights (512 × 4608)
/// cost about as long as a tenth of its GEMM on two cores.
/// </summary>
internal static unsafe class ConvWeights
{
    /// <summary>Packs the m×k weights of every group (groups·m rows of k, groups one after another) into <paramref name="destination"/>.</summary>
    public static PrePackedA[] Pack(float* w, int groups, int m, int k, float* destination, int threads, CpuIsa isa)
    {
        var blocking = GemmBlocking.For(isa);
        int mr = blocking.MR, depth = blocking.SliceDepth(k);
        int padded = (m + mr - 1) / mr * mr, rowPanels = padded / mr, slices = (k + depth - 1) / depth;
        long groupSize = PrePackedA.Size(m, k, mr);
        nint ws = (nint)w, ds = (nint)destination;
        int items = groups * slices * rowPanels;
        // A few hundred panels per call at most: chunks of them, so small layers stay on the calling thread.
        CpuParallel.ForRange(items, threads, 64, (start, end) =>
        {
            for (long item = start; item < end; item++)
            {
                int g = (int)(item / (slices * rowPanels)), rest = (int)(item % (slices * rowPanels));
                int slice = rest / rowPanels, panel = rest % rowPanels;
                int p0 = slice * depth, kc = Math.Min(depth, k - p0), i0 = panel * mr;
                float* source = (float*)ws + ((long)g * m + i0) * k + p0;
                float* target = (float*)ds + g * groupSize + (long)p0 * padded + (long)i0 * kc;
                BlockTranspose.PackRowPanel(source, k, Math.Min(mr, m - i0), kc, mr, target, isa);
            }
        });
        var result = new PrePackedA[groups];
        for (int g = 0; g < groups; g++) result[g] = new PrePackedA(destination + g * groupSize, padded);
        return result;
    }

    /// <summary>
    /// Groups already packed in this layout by a packer of their own (Winograd's transformed weights), group g at
    /// destination + g·<paramref name="groupSize"/> (at least <see cref="PrePackedA.Size(int, int, CpuIsa)"/>).
    /// </summary>
    public static PrePackedA[] Wrap(float* destination, long groupSize, int groups, int m, int k, CpuIsa isa)
    {
        int mr = GemmBlocking.For(isa).MR;
        var result = new PrePackedA[groups];
        for (int g = 0; g < groups; g++) result[g] = new PrePackedA(destination + g * groupSize, (m + mr - 1) / mr * mr);
        return result;
    }
}
