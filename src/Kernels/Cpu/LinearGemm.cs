namespace Ompq.Kernels.Cpu;

/// <summary>
/// Linear, y[b, o] = x[b, :]·W[o, :] + bias[o], as one GEMM C = X·Wᵀ whose reduction carries the bias: X gets a column of
/// ones and Wᵀ a row of bias values (depth In + 1), so the bias is added inside the tiles and no second pass over y is
/// needed; activation and fake quant are fused into the tile stores. Wᵀ is packed by transposing 8×8 blocks of W in
/// registers, where a per-element transpose (the dense transposed packing) costs more than the thin GEMM's FMAs.
/// </summary>
internal static unsafe class LinearGemm
{
    public static void Forward(in LinearShape shape, float* x, float* w, float* bias, float* y, Epilogue epilogue, int threads, CpuIsa isa)
    {
        int depth = shape.In + (bias != null ? 1 : 0);
        var rows = new RowsWithOnes(x, shape.In);
        var weights = new TransposedWeightsB(w, bias, shape.In, isa);
        Gemm.Run(shape.Batch, shape.Out, depth, rows, weights, 0f, new DenseC(y, shape.Out), new RowEpilogue(null, epilogue, isa), threads, isa);
    }
}

/// <summary>A = [X | 1]: the row-major input x (rows of <c>columns</c> floats) with a column of ones at index <c>columns</c>.</summary>
internal readonly unsafe struct RowsWithOnes(float* x, int columns) : IPackA
{
    public bool Prepacked => false;

    public float* Panels(int i0, int mc, int p0, int kc, int mr, float* scratch)
    {
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            float* panel = scratch + (long)ir * kc;
            for (int r = 0; r < mr; r++)
            {
                if (r >= rows)
                {
                    for (int p = 0; p < kc; p++) panel[p * mr + r] = 0f;
                    continue;
                }
                float* src = x + (long)(i0 + ir + r) * columns;
                int end = Math.Min(kc, columns - p0);
                for (int p = 0; p < end; p++) panel[p * mr + r] = src[p0 + p];
                for (int p = Math.Max(end, 0); p < kc; p++) panel[p * mr + r] = 1f;
            }
        }
        return scratch;
    }
}

/// <summary>
/// B = [Wᵀ ; biasᵀ]: B[p, j] = w[j·columns + p] for p &lt; columns, bias[j] at p = columns (when there is a bias).
/// Full 8×8 blocks are transposed with AVX2 shuffles; edges and the portable path go element by element.
/// </summary>
internal readonly unsafe struct TransposedWeightsB(float* w, float* bias, int columns, CpuIsa isa) : IPackB
{
    public void Pack(int p0, int kc, int j0, int nc, int nr, float* destination)
    {
        bool simd = isa.HasAvx2();
        int weightRows = Math.Min(kc, columns - p0);
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            float* panel = destination + (long)jr * kc;
            float* first = w + (long)(j0 + jr) * columns + p0;
            int j = 0;
            if (simd)
                for (; j + 8 <= cols; j += 8)
                {
                    int p = 0;
                    for (; p + 8 <= weightRows; p += 8) BlockTranspose.Transpose8x8(first + (long)j * columns + p, columns, panel + p * nr + j, nr);
                    for (; p < weightRows; p++)
                        for (int t = 0; t < 8; t++) panel[p * nr + j + t] = first[(long)(j + t) * columns + p];
                }
            for (; j < cols; j++)
            {
                float* src = first + (long)j * columns;
                for (int p = 0; p < weightRows; p++) panel[p * nr + j] = src[p];
            }
            for (int p = 0; p < weightRows; p++)
                for (int t = cols; t < nr; t++) panel[p * nr + t] = 0f;
            // The bias row (at most one: it is the reduction's last index).
            for (int p = Math.Max(weightRows, 0); p < kc; p++)
                for (int t = 0; t < nr; t++) panel[p * nr + t] = t < cols ? bias[j0 + jr + t] : 0f;
        }
    }
}
