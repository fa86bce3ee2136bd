namespace Ompq.Kernels.Cpu;

/// <summary>
/// The GEMM's register tile (MR×NR, fixed by the micro-kernel of an instruction set) and its cache blocking, derived
/// once per process from <see cref="CpuCaches"/> as BLIS sizes them: one kc×NR panel of B fills about half of L1
/// (the other half holds the streaming MR-row panels of A and C's tile), an mc×kc block of A about half of L2, and a
/// kc×nc block of B about half of this core's share of L3.
/// </summary>
internal readonly record struct GemmBlocking(int MR, int NR, int KC, int MC, int NC, int NarrowNC, int PrepackedNC)
{
    private static readonly GemmBlocking[] ByIsa = Enum.GetValues<CpuIsa>().Select(Derive).ToArray();

    public static GemmBlocking For(CpuIsa isa) => ByIsa[(int)isa];

    /// <summary>
    /// Depth of each K slice: K split evenly into ⌈K/KC⌉ slices, so no slice is a short leftover whose
    /// C-tile loads and stores would cost as much as its FMAs.
    /// </summary>
    public int SliceDepth(int k)
    {
        int slices = (k + KC - 1) / KC;
        return (k + slices - 1) / slices;
    }

    private static GemmBlocking Derive(CpuIsa isa)
    {
        var (mr, nr) = isa switch
        {
            CpuIsa.Avx512 => (Avx512Kernel.MR, Avx512Kernel.NR),
            CpuIsa.Avx2 => (Avx2Kernel.MR, Avx2Kernel.NR),
            _ => (PortableKernel.MR, PortableKernel.NR),
        };
        return Derive(mr, nr, CpuCaches.L1, CpuCaches.L2, CpuCaches.L3PerCore);
    }

    /// <summary>The sizes for a tile and cache sizes in bytes (separate from detection so tests can feed any machine).</summary>
    internal static GemmBlocking Derive(int mr, int nr, long l1, long l2, long l3PerCore)
    {
        // 256 on a 32 KiB L1 with 16-wide panels (what the AVX2 kernel was tuned to), 192 on 48 KiB with 32-wide.
        int kc = (int)Math.Clamp(l1 / 2 / (nr * sizeof(float)) / 8 * 8, 64, 512);
        // Capped: beyond a few hundred rows a bigger A block saves nothing and only coarsens the split over workers.
        int mc = (int)Math.Clamp(l2 / 2 / (kc * sizeof(float)) / mr * mr, mr, 60L * mr);
        long l3 = l3PerCore > 0 ? l3PerCore : l2;
        int nc = (int)Math.Clamp(l3 / 2 / (kc * sizeof(float)) / nr * nr, 16L * nr, 4096);
        // A fits one MC block: each B panel is used once, so it is packed just before use, a few panels at a time.
        int narrow = Math.Max(nr, 256 / nr * nr);
        // A packed once beforehand (conv weights): the B block can stay in L2 since revisiting A costs nothing.
        int prepacked = (int)Math.Clamp(l2 / 2 / (kc * sizeof(float)) / nr * nr, 4L * nr, nc);
        return new GemmBlocking(mr, nr, kc, mc, nc, narrow, prepacked);
    }
}
