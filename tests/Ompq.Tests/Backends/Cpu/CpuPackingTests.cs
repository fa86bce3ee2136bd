using Ompq.Kernels.Cpu;

namespace Ompq.Tests.Backends.Cpu;

/// <summary>
/// The GEMM packers on every instruction set the machine has, against their definitions (exact: packing only moves floats).
/// Shapes reach the 16-column AVX-512 panel transpose and its scalar tail, the 8×8 AVX blocks, partial panels and strides
/// that are and are not multiples of a page.
/// </summary>
public sealed unsafe class CpuPackingTests
{
    public static TheoryData<CpuIsa> Isas()
    {
        var data = new TheoryData<CpuIsa>();
        foreach (var isa in Enum.GetValues<CpuIsa>())
            if (CpuIsas.IsSupported(isa)) data.Add(isa);
        return data;
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void RowPanelsHoldTheTransposedRows(CpuIsa isa)
    {
        var rng = new Random(17);
        foreach (int mr in new[] { 14, 6, 8 })
            foreach (int rows in new[] { mr, mr - 1, 1 })
                foreach (int kc in new[] { 1, 7, 16, 17, 48, 511 })
                    foreach (int ld in new[] { kc, kc + 3, 1024 })
                    {
                        var source = new float[rows * ld];
                        for (int i = 0; i < source.Length; i++) source[i] = (float)rng.NextDouble() - 0.5f;
                        var panel = new float[mr * kc];
                        Array.Fill(panel, float.NaN);
                        fixed (float* s = source, p = panel)
                            BlockTranspose.PackRowPanel(s, ld, rows, kc, mr, p, isa);
                        for (int p = 0; p < kc; p++)
                            for (int r = 0; r < mr; r++)
                            {
                                float expected = r < rows ? source[r * ld + p] : 0f;
                                Assert.True(expected == panel[p * mr + r], $"{isa} mr {mr} rows {rows} kc {kc} ld {ld}: panel[{p}·{mr} + {r}] = {panel[p * mr + r]}, expected {expected}");
                            }
                    }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void DenseBPanelsHoldTheBlock(CpuIsa isa)
    {
        var rng = new Random(23);
        foreach (bool transposed in new[] { false, true })
            foreach (int nr in new[] { 32, 16, 8 })
                foreach (var (kc, nc) in new[] { (1, 1), (9, 40), (64, 96), (23, 33) })
                {
                    int p0 = 3, j0 = 5, rowsOfSource = p0 + kc, colsOfSource = j0 + nc + 2;
                    // B is K×N: row-major b[p·ld + j], or stored transposed b[j·ld + p].
                    int ld = transposed ? rowsOfSource + 1 : colsOfSource;
                    var b = new float[(transposed ? colsOfSource : rowsOfSource) * ld];
                    for (int i = 0; i < b.Length; i++) b[i] = (float)rng.NextDouble() - 0.5f;
                    int panels = (nc + nr - 1) / nr;
                    var packed = new float[panels * nr * kc];
                    Array.Fill(packed, float.NaN);
                    fixed (float* bp = b, dp = packed)
                        new DenseB(bp, ld, transposed, isa).Pack(p0, kc, j0, nc, nr, dp);
                    for (int jr = 0; jr < panels; jr++)
                        for (int p = 0; p < kc; p++)
                            for (int j = 0; j < nr; j++)
                            {
                                int column = jr * nr + j;
                                float expected = column >= nc ? 0f : transposed ? b[(j0 + column) * ld + p0 + p] : b[(p0 + p) * ld + j0 + column];
                                float actual = packed[jr * nr * kc + p * nr + j];
                                Assert.True(expected == actual, $"{isa} transposed {transposed} nr {nr} kc {kc} nc {nc}: panel {jr} [{p}, {j}] = {actual}, expected {expected}");
                            }
                }
    }
}
