namespace Ompq.Kernels.Cpu;

/// <summary>
/// Linear, y[b, o] = x[b, :]·W[o, :] + bias[o], computed transposed as yᵀ = W·xᵀ: the output features are the GEMM's rows,
/// so the bias is a per-row bias fused into the tile stores with the activation and fake quant, and a batch of a few dozen
/// rows is one column panel instead of a few MR-row tiles, the last mostly empty (32 rows on the 14-row AVX-512 tile
/// computed 42). W's rows and x's rows are packed with 8×8 register transposes; yᵀ goes through a scratch and is
/// transposed into y, a pass over Batch·Out floats against the GEMM's Batch·Out·In FMAs.
/// </summary>
internal static unsafe class LinearGemm
{
    private const long SerialUntranspose = 1 << 18;

    public static void Forward(in LinearShape shape, float* x, float* w, float* bias, float* y, Epilogue epilogue, int threads, CpuIsa isa)
    {
        int batch = shape.Batch, outs = shape.Out;
        float* transposed = ThreadScratch.Get(ThreadScratch.SharedOperand, (long)outs * batch);
        Gemm.Run(outs, batch, shape.In, new RowsA(w, shape.In, isa), new TransposedRowsB(x, shape.In, isa), 0f,
            new DenseC(transposed, batch), new RowEpilogue(bias, epilogue, isa), threads, isa);
        nint ts = (nint)transposed, ys = (nint)y;
        bool simd = isa.HasAvx2();
        int blocks = (outs + 7) / 8;
        // Serial up to a few hundred thousand floats: waking a second worker costs about as long as the copy itself.
        CpuParallel.ForRange(blocks, (long)batch * outs <= SerialUntranspose ? 1 : threads, 16, (start, end) =>
        {
            for (long block = start; block < end; block++)
                Untranspose((float*)ts, (float*)ys, batch, outs, (int)block * 8, simd);
        });
    }

    /// <summary>y[b, o] = yᵀ[o, b] for the 8 (or fewer, at the end) outputs from o0 on.</summary>
    private static void Untranspose(float* transposed, float* y, int batch, int outs, int o0, bool simd)
    {
        int count = Math.Min(8, outs - o0), b = 0;
        if (simd && count == 8)
            for (; b + 8 <= batch; b += 8)
                BlockTranspose.Transpose8x8(transposed + (long)o0 * batch + b, batch, y + (long)b * outs + o0, outs);
        for (; b < batch; b++)
            for (int t = 0; t < count; t++) y[(long)b * outs + o0 + t] = transposed[(long)(o0 + t) * batch + b];
    }
}

/// <summary>A = a row-major matrix (rows of <c>columns</c> floats), packed into MR-row panels by register transposes.</summary>
internal readonly unsafe struct RowsA(float* a, int columns, CpuIsa isa) : IPackA
{
    public bool Prepacked => false;

    public float* Panels(int i0, int mc, int p0, int kc, int mr, float* scratch)
    {
        for (int ir = 0; ir < mc; ir += mr)
            BlockTranspose.PackRowPanel(a + (long)(i0 + ir) * columns + p0, columns, Math.Min(mr, mc - ir), kc, mr, scratch + (long)ir * kc, isa);
        return scratch;
    }
}

/// <summary>
/// B = rowsᵀ: B[p, j] = rows[j·columns + p], the transpose of a row-major matrix. Full 8×8 blocks are transposed with AVX
/// shuffles; edges and the portable path go element by element.
/// </summary>
internal readonly unsafe struct TransposedRowsB(float* rows, int columns, CpuIsa isa) : IPackB
{
    public void Pack(int p0, int kc, int j0, int nc, int nr, float* destination)
    {
        bool simd = isa.HasAvx2();
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            float* panel = destination + (long)jr * kc;
            float* first = rows + (long)(j0 + jr) * columns + p0;
            int j = 0;
            if (simd)
                for (; j + 8 <= cols; j += 8)
                {
                    int p = 0;
                    for (; p + 8 <= kc; p += 8) BlockTranspose.Transpose8x8(first + (long)j * columns + p, columns, panel + p * nr + j, nr);
                    for (; p < kc; p++)
                        for (int t = 0; t < 8; t++) panel[p * nr + j + t] = first[(long)(j + t) * columns + p];
                }
            for (; j < cols; j++)
            {
                float* src = first + (long)j * columns;
                for (int p = 0; p < kc; p++) panel[p * nr + j] = src[p];
            }
            for (int p = 0; p < kc; p++)
                for (int t = cols; t < nr; t++) panel[p * nr + t] = 0f;
        }
    }
}
