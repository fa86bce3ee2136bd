namespace Ompq.Kernels.Cpu;

/// <summary>
/// The GEMM's register tile (MR×NR, fixed by the micro-kernel of an instruction set) and its cache blocking, derived
/// once per process from <see cref="CpuCaches"/>: slices as deep as L2 allows (one kc×NR panel of B in a 32nd of L2),
/// an mc×kc block of A in about half of L2, and a kc×nc block of B in about half of this core's share of L3.
/// Deep slices rather than BLIS's "B panel in half of L1": C's tiles are read and written once per slice, and C is
/// usually bigger than L2, so every slice is a pass over C in L3; the micro-kernel keeps its rate with the B panel
/// streaming from L2. Measured on the Xeon (model 207, 48 KiB L1, 2 MiB L2), one thread, same process: kc 192 → 512
/// took the AVX-512 GEMM from 100/138/139 to 128/145/148 GFLOP/s at 512³/1024³/2048³, and the AVX2 one (kc 256 → 512)
/// from 57/71/60 to 66/77/72.
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
        return Derive(mr, nr, CpuCaches.L2, CpuCaches.L3PerCore);
    }

    /// <summary>The sizes for a tile and cache sizes in bytes (separate from detection so tests can feed any machine).</summary>
    internal static GemmBlocking Derive(int mr, int nr, long l2, long l3PerCore)
    {
        // 512 on a 1–2 MiB L2 for every tile width here; 64–128 on the 128–256 KiB L2 of older cores.
        int kc = (int)Math.Clamp(l2 / 32 / (nr * sizeof(float)) / 8 * 8, 64, 512);
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
