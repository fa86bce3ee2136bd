using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Where the GEMM's right-hand operand B (K×N) comes from. Packing copies a kc×nc block of it into
/// NR-wide column panels (each panel: kc rows of NR contiguous floats, zero-padded past N) so the
/// micro-kernel streams it linearly. Implemented as structs so each source gets its own specialized code.
/// </summary>
internal unsafe interface IPackB
{
    /// <param name="nr">the micro-kernel's panel width</param>
    void Pack(int p0, int kc, int j0, int nc, int nr, float* destination);
}

/// <summary>
/// A dense row-major matrix, B[p, j] = b[p·ld + j], or its transpose b[j·ld + p]. A transposed source goes through 8×8
/// register transposes on every path of <paramref name="isa"/> but the portable one.
/// </summary>
internal readonly unsafe struct DenseB(float* b, int ld, bool transposed, CpuIsa isa) : IPackB
{
    public void Pack(int p0, int kc, int j0, int nc, int nr, float* destination)
    {
        int full = nc / nr * nr;
        if (!transposed)
        {
            // Row by row of the source, each row scattered over all full panels: the reads are one sequential stream per
            // row instead of kc rows a whole ld apart per panel, which the prefetchers follow poorly.
            for (int p = 0; p < kc; p++)
            {
                float* src = b + (long)(p0 + p) * ld + j0;
                float* dst = destination + p * nr;
                for (int jr = 0; jr < full; jr += nr) PanelRow.Copy(src + jr, dst + (long)jr * kc, nr);
            }
        }
        else if (isa.HasAvx2() && Avx.IsSupported && nr % 8 == 0 && kc >= 8)
        {
            int vectorEnd = kc / 8 * 8;
            for (int jr = 0; jr < full; jr += nr)
            {
                float* panel = destination + (long)jr * kc;
                for (int j = 0; j < nr; j += 8)
                {
                    float* src = b + (long)(j0 + jr + j) * ld + p0;
                    for (int p = 0; p < vectorEnd; p += 8) BlockTranspose.Transpose8x8(src + p, ld, panel + p * nr + j, nr);
                    for (int p = vectorEnd; p < kc; p++)
                        for (int t = 0; t < 8; t++) panel[p * nr + j + t] = src[(long)t * ld + p];
                }
            }
        }
        else
        {
            for (int jr = 0; jr < full; jr += nr) PackTransposedPanel(p0, kc, j0 + jr, nr, nr, destination + (long)jr * kc);
        }
        if (full < nc) PackEdgePanel(p0, kc, j0 + full, nc - full, nr, destination + (long)full * kc);
    }

    /// <summary>The last, partial panel: <paramref name="cols"/> real columns, zeros up to the panel width.</summary>
    private void PackEdgePanel(int p0, int kc, int j0, int cols, int nr, float* panel)
    {
        if (transposed)
        {
            PackTransposedPanel(p0, kc, j0, cols, nr, panel);
            return;
        }
        float* src = b + (long)p0 * ld + j0;
        for (int p = 0; p < kc; p++, src += ld)
            for (int j = 0; j < nr; j++) panel[p * nr + j] = j < cols ? src[j] : 0f;
    }

    private void PackTransposedPanel(int p0, int kc, int j0, int cols, int nr, float* panel)
    {
        for (int j = 0; j < nr; j++)
        {
            if (j >= cols)
            {
                for (int p = 0; p < kc; p++) panel[p * nr + j] = 0f;
                continue;
            }
            float* src = b + (long)(j0 + j) * ld + p0;
            for (int p = 0; p < kc; p++) panel[p * nr + j] = src[p];
        }
    }
}

/// <summary>
/// Where the GEMM's left operand A (M×K) comes from: a pointer to the MR-row panels of rows [i0, i0+mc)
/// × columns [p0, p0+kc), each panel kc×MR floats (panel[p·MR + r], zero-padded past M), either packed
/// now into <c>scratch</c> or found in a buffer packed earlier.
/// </summary>
internal unsafe interface IPackA
{
    /// <summary>True when panels are already packed, so re-visiting A for every column block costs nothing.</summary>
    bool Prepacked { get; }

    /// <param name="mr">the micro-kernel's panel height</param>
    float* Panels(int i0, int mc, int p0, int kc, int mr, float* scratch);
}

/// <summary>
/// A dense row-major A (or its transpose), scaled by alpha while it is packed; row-major panels go through the register
/// transposes of the instruction set <paramref name="isa"/> (<see cref="BlockTranspose.PackRowPanel"/>).
/// </summary>
internal readonly unsafe struct DenseA(float* a, int ld, bool transposed, float alpha, CpuIsa isa) : IPackA
{
    public bool Prepacked => false;

    public float* Panels(int i0, int mc, int p0, int kc, int mr, float* scratch)
    {
        Pack(i0, mc, p0, kc, mr, scratch);
        return scratch;
    }

    /// <summary>Packs rows [i0, i0+mc) × columns [p0, p0+kc) as MR-row panels: panel[p·MR + r], zero-padded past M.</summary>
    public void Pack(int i0, int mc, int p0, int kc, int mr, float* destination)
    {
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            float* panel = destination + (long)ir * kc;
            if (transposed)
            {
                float* src = a + (long)p0 * ld + i0 + ir;
                for (int p = 0; p < kc; p++, src += ld)
                {
                    float* dst = panel + p * mr;
                    for (int r = 0; r < rows; r++) dst[r] = alpha * src[r];
                    for (int r = rows; r < mr; r++) dst[r] = 0f;
                }
                continue;
            }
            BlockTranspose.PackRowPanel(a + (long)(i0 + ir) * ld + p0, ld, rows, kc, mr, panel, isa);
            if (alpha != 1f) Scale(panel, (long)kc * mr, alpha);
        }
    }

    private static void Scale(float* values, long count, float alpha)
    {
        long i = 0;
        var factor = Vector128.Create(alpha);
        for (; i + 4 <= count; i += 4) Vector128.Store(Vector128.Load(values + i) * factor, values + i);
        for (; i < count; i++) values[i] *= alpha;
    }
}

/// <summary>
/// A packed once for all of M×K (convolution weights are shared by every image): for each K slice the
/// MR-row panels of all rows, so the panels of (i0, p0) start at p0·RoundUp(M, MR) + i0·kc. Packed for one
/// instruction set's tile height and slice depth (<see cref="GemmBlocking"/>), and usable only by its GEMM.
/// </summary>
internal readonly unsafe struct PrePackedA : IPackA
{
    private readonly float* panels;
    private readonly int paddedRows;

    /// <param name="paddedRows">M rounded up to whole MR panels: the stride of one K slice, in panels of kc.</param>
    internal PrePackedA(float* panels, int paddedRows)
    {
        this.panels = panels;
        this.paddedRows = paddedRows;
    }

    public static long Size(int m, int k, CpuIsa isa) => Size(m, k, GemmBlocking.For(isa).MR);

    public static long Size(int m, int k, int mr) => (long)(m + mr - 1) / mr * mr * k;

    /// <summary>
    /// Packs all of <paramref name="source"/> (m×k) into <paramref name="destination"/> of <see cref="Size(int, int, int)"/>
    /// floats with a given blocking (the GEMM driver's own), the rows split over <paramref name="threads"/> workers in
    /// whole MR panels. The result is read by every worker of the GEMM that follows.
    /// </summary>
    public static PrePackedA Pack(DenseA source, int m, int k, float* destination, GemmBlocking blocking, int threads)
    {
        int mr = blocking.MR;
        int padded = (m + mr - 1) / mr * mr;
        int depth = blocking.SliceDepth(k);
        int panels = padded / mr;
        int chunks = Math.Min(threads, panels);
        int panelsPerChunk = (panels + chunks - 1) / chunks;
        CpuParallel.For(chunks, threads, chunk =>
        {
            int i0 = chunk * panelsPerChunk * mr;
            int rows = Math.Min(m, i0 + panelsPerChunk * mr) - i0;
            if (rows <= 0) return;
            for (int pc = 0; pc < k; pc += depth)
            {
                int kc = Math.Min(depth, k - pc);
                source.Pack(i0, rows, pc, kc, mr, destination + (long)pc * padded + (long)i0 * kc);
            }
        });
        return new PrePackedA(destination, padded);
    }

    public bool Prepacked => true;

    public float* Panels(int i0, int mc, int p0, int kc, int mr, float* scratch) => panels + (long)p0 * paddedRows + (long)i0 * kc;
}

/// <summary>Per-output-row bias, activation and fake quant applied to finished tiles of C.</summary>
internal readonly unsafe struct RowEpilogue(float* rowBias, Epilogue epilogue, CpuIsa isa)
{
    public bool IsIdentity => rowBias == null && EpilogueStore.IsIdentity(epilogue);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Apply(float* c, int ldc, int row0, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
            EpilogueStore.Apply(c + (long)r * ldc, cols, rowBias != null ? rowBias[row0 + r] : 0f, epilogue, isa);
    }
}

/// <summary>A run of source floats copied into a row of a packed B panel, by the widest vectors the hardware has.</summary>
internal static unsafe class PanelRow
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(float* src, float* dst, int count)
    {
        int t = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; t + 8 <= count; t += 8) Vector256.Store(Vector256.Load(src + t), dst + t);
        for (; t + 4 <= count; t += 4) Vector128.Store(Vector128.Load(src + t), dst + t);
        for (; t < count; t++) dst[t] = src[t];
    }
}
