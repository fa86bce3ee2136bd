using ILGPU;
using ILGPU.Runtime;

namespace Ompq.Kernels.Ilgpu;

/// <summary>
/// For the implicit-GEMM convolution: entry k = (c, r, s) of the reduction dimension, precomputed once per input
/// geometry so the kernel needs no integer divisions. Two ints per k: the window offsets (r·dilationH) &lt;&lt; 16 |
/// (s·dilationW) for the padding test, and the input offset c·H·W + r·dilationH·W + s·dilationW from the window's
/// corner. Tables are kept per geometry (a network has a few dozen) on the device.
/// </summary>
internal sealed class GatherTable : IDisposable
{
    public const int MaxWindowOffset = 0xFFFF;
    private const int MaxTables = 128;

    private readonly Accelerator _accelerator;
    private readonly Dictionary<(int C, int H, int W, int R, int S, int DilationH, int DilationW), MemoryBuffer1D<int, Stride1D.Dense>> _tables = [];

    public GatherTable(Accelerator accelerator) => _accelerator = accelerator;

    public ArrayView<int> For(in Conv2dShape shape)
    {
        var key = (shape.CPerGroup, shape.H, shape.W, shape.R, shape.S, shape.DilationH, shape.DilationW);
        if (_tables.TryGetValue(key, out var cached)) return cached.View.BaseView;
        if (_tables.Count >= MaxTables) Clear();

        int rs = shape.R * shape.S;
        var entries = new int[2 * shape.CPerGroup * rs];
        long plane = (long)shape.H * shape.W;
        for (int c = 0; c < shape.CPerGroup; c++)
        for (int r = 0; r < shape.R; r++)
        for (int s = 0; s < shape.S; s++)
        {
            int k = c * rs + r * shape.S + s;
            int dh = r * shape.DilationH, dw = s * shape.DilationW;
            entries[2 * k] = (dh << 16) | dw;
            entries[2 * k + 1] = checked((int)(c * plane + (long)dh * shape.W + dw));
        }
        var table = _accelerator.Allocate1D(entries);
        _tables.Add(key, table);
        return table.View.BaseView;
    }

    private void Clear()
    {
        _accelerator.Synchronize();
        foreach (var table in _tables.Values) table.Dispose();
        _tables.Clear();
    }

    public void Dispose()
    {
        foreach (var table in _tables.Values) table.Dispose();
        _tables.Clear();
    }
}
