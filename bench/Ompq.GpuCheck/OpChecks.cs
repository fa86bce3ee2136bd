using System.Diagnostics;
using Ompq.Kernels;
using Ompq.Kernels.Ilgpu;

namespace Ompq.GpuCheck;

/// <summary>
/// Runs every op of the contract on the device and on the CPU backend with the same random inputs and compares.
/// Each check is one closure run against both backends, so the two sides cannot drift apart.
/// </summary>
internal sealed class OpChecks(IKernels device, IKernels reference, bool small, int seed)
{
    private readonly List<(string Name, Comparison Result)> _results = [];
    private GemmTiling? _tiling;

    public IReadOnlyList<(string Name, Comparison Result)> Results => _results;

    public void RunAll()
    {
        int b = small ? 2 : 32;
        // Both tile sizes of the GEMM-shaped kernels, whichever the automatic choice would take at these shapes.
        foreach (var tiling in new[] { GemmTiling.Tile64, GemmTiling.Tile128 })
        {
            _tiling = tiling;
            if (device is IlgpuKernels ilgpu) ilgpu.GemmTiling = tiling;
            GemmChecks();
            LinearChecks(b);
            ConvChecks(b);
        }
        if (device is IlgpuKernels restored) restored.GemmTiling = GemmTiling.Auto;
        _tiling = null;
        ChannelOpChecks(b);
        ElementwiseChecks();
        PoolingChecks(b);
        QuantChecks();
        MinMaxChecks(b);
        OrthogonalityChecks();
    }

    private void GemmChecks()
    {
        var shapes = small
            ? new[] { new GemmShape(37, 70, 19, Alpha: 0.5f, Beta: 0.25f), new GemmShape(65, 3, 33, TransA: true, TransB: true) }
            : [new GemmShape(1024, 1024, 1024), new GemmShape(1000, 1100, 700, Alpha: 0.5f, Beta: 0.25f),
               new GemmShape(257, 129, 1031, TransA: true), new GemmShape(300, 515, 260, TransB: true),
               new GemmShape(63, 65, 4099, TransA: true, TransB: true, Beta: 1f)];
        foreach (var s in shapes)
        {
            var a = Random(s.ASize, 1);
            var bm = Random(s.BSize, 2);
            var c0 = Random(s.CSize, 3);
            Check($"gemm {s.M}x{s.N}x{s.K} tA={s.TransA} tB={s.TransB} a={s.Alpha} b={s.Beta}", k =>
            {
                using var da = Up(k, a); using var db = Up(k, bm); using var dc = Up(k, c0);
                k.Gemm(s, da, db, dc);
                return Down(k, dc);
            }, Tolerance.Accumulated);
        }
    }

    private void LinearChecks(int batch)
    {
        var s = small ? new LinearShape(batch + 3, 37, 21) : new LinearShape(8 * batch, 512, 1000);
        var x = Random((long)s.Batch * s.In, 4);
        var w = Random((long)s.Out * s.In, 5);
        var bias = Random(s.Out, 6);
        Check($"linear {s} + bias", k => RunLinear(k, s, x, w, bias, Epilogue.None), Tolerance.Accumulated);
        var quant = QuantParams.Unsigned(4, 4f);
        Check($"linear {s} + bias, relu6 + fake-quant u4", k => RunLinear(k, s, x, w, bias, new Epilogue(Activation.Relu6, quant)),
            Tolerance.Quantized(quant.Scale));
    }

    private void ConvChecks(int n)
    {
        var shapes = small
            ? new[] { Conv2dShape.Square(n, 5, 9, 7, 6, 3, 1, 1), Conv2dShape.Square(n, 4, 8, 8, 8, 3, 2, 1, 1, 4),
                      Conv2dShape.Square(n, 6, 7, 7, 6, 3, 1, 1, groups: 6), Conv2dShape.Square(1, 3, 11, 11, 5, 5, 2, 2) }
            : [Conv2dShape.Square(n, 64, 56, 56, 64, 3, 1, 1), Conv2dShape.Square(n, 64, 56, 56, 128, 3, 2, 1),
               Conv2dShape.Square(n, 256, 14, 14, 512, 1, 2, 0), Conv2dShape.Square(8, 3, 224, 224, 64, 7, 2, 3),
               Conv2dShape.Square(n, 64, 28, 28, 64, 3, 1, 2, 2, 4), new Conv2dShape(n, 32, 30, 31, 48, 3, 5, 2, 1, 1, 2),
               Conv2dShape.Square(n, 144, 56, 56, 144, 3, 1, 1, groups: 144), Conv2dShape.Square(n, 96, 112, 112, 96, 3, 2, 1, groups: 96),
               Conv2dShape.Square(n, 32, 28, 28, 64, 3, 1, 1, groups: 32)];
        int seedOffset = 10;
        foreach (var s in shapes)
        {
            var x = Random(s.InputSize, seedOffset++);
            var w = Random(s.WeightSize, seedOffset++, 1f / MathF.Sqrt(s.CPerGroup * s.R * s.S));
            var bias = Random(s.K, seedOffset++);
            var act = s.IsDepthwise ? Activation.Relu6 : Activation.Relu;
            Check($"conv2d {Describe(s)} + bias, {act}", k => RunConv(k, s, x, w, bias, new Epilogue(act)), Tolerance.Accumulated);
        }
        var qs = shapes[0];
        var qx = Random(qs.InputSize, 40);
        var qw = Random(qs.WeightSize, 41, 1f / MathF.Sqrt(qs.CPerGroup * qs.R * qs.S));
        var quant = QuantParams.Unsigned(4, 2f);
        Check($"conv2d {Describe(qs)} relu + fake-quant u4 (fused epilogue)", k => RunConv(k, qs, qx, qw, null, new Epilogue(Activation.Relu, quant)),
            Tolerance.Quantized(quant.Scale));
    }

    private void ChannelOpChecks(int n)
    {
        var s = small ? new ChannelShape(n, 5, 37) : new ChannelShape(n, 64, 56 * 56);
        var x = Random(s.Size, 50);
        var gamma = Random(s.C, 51);
        var beta = Random(s.C, 52);
        var mean = Random(s.C, 53);
        var variance = Random(s.C, 54, 1f).Select(v => v + 1.2f).ToArray();
        Check($"batchnorm {s} relu", k =>
        {
            using var dx = Up(k, x); using var dg = Up(k, gamma); using var db = Up(k, beta); using var dm = Up(k, mean); using var dv = Up(k, variance);
            using var dy = k.Allocate(s.Size);
            k.BatchNormInference(s, dx, dg, db, dm, dv, 1e-5f, dy, Activation.Relu);
            return Down(k, dy);
        }, new Tolerance(2e-6f, 1e-6f));
        var gs = small ? new ChannelShape(n, 5, 49) : new ChannelShape(n, 512, 49);
        var gx = Random(gs.Size, 55);
        Check($"global avg pool {gs}", k =>
        {
            using var dx = Up(k, gx); using var dy = k.Allocate((long)gs.N * gs.C);
            k.GlobalAvgPool(gs, dx, dy);
            return Down(k, dy);
        }, new Tolerance(1e-5f, 1e-6f));
    }

    private void ElementwiseChecks()
    {
        long length = small ? 1001 : 10_000_019;
        var a = Random(length, 60, 8f);
        var bv = Random(length, 61, 8f);
        foreach (var act in new[] { Activation.Relu, Activation.Relu6 })
        {
            Check($"activate {act} n={length}", k =>
            {
                using var da = Up(k, a); using var dy = k.Allocate(length);
                k.Activate(act, da, dy, length);
                return Down(k, dy);
            }, Tolerance.Tight);
        }
        Check($"add relu6 in place n={length}", k =>
        {
            using var da = Up(k, a); using var db = Up(k, bv);
            k.Add(da, db, da, length, Activation.Relu6);
            return Down(k, da);
        }, Tolerance.Tight);
        Check($"fill + copy at offsets n={length}", k =>
        {
            using var da = Up(k, a); using var dy = k.Allocate(length);
            k.Fill(dy, -3f);
            k.Copy(da.Slice(7, length / 2), dy.Slice(length / 3, length / 2));
            return Down(k, dy);
        }, Tolerance.Tight);
    }

    private void PoolingChecks(int n)
    {
        var shapes = small
            ? new[] { Pool2dShape.Square(n, 3, 9, 8, 3, 2, 1), Pool2dShape.Square(n, 3, 7, 7, 3, 1, 1, countIncludePad: false) }
            : [Pool2dShape.Square(n, 64, 112, 112, 3, 2, 1), Pool2dShape.Square(n, 32, 29, 30, 3, 1, 1, countIncludePad: false),
               Pool2dShape.Square(n, 16, 28, 28, 2, 2)];
        int seedOffset = 70;
        foreach (var s in shapes)
        {
            var x = Random(s.InputSize, seedOffset++);
            Check($"maxpool {Describe(s)}", k => RunPool(k, s, x, max: true), Tolerance.Tight);
            Check($"avgpool {Describe(s)}", k => RunPool(k, s, x, max: false), new Tolerance(1e-6f, 1e-6f));
        }
    }

    private void QuantChecks()
    {
        int channels = small ? 7 : 512;
        long perChannel = small ? 45 : 4608;
        var w = Random(channels * perChannel, 80, 0.2f);
        Array.Clear(w, 0, (int)perChannel);
        foreach (int bits in new[] { 2, 4, 8 })
        {
            Check($"fake-quant weights per channel {channels}x{perChannel} {bits}-bit (+scales)", k =>
            {
                using var dw = Up(k, w); using var dy = k.Allocate(w.Length); using var ds = k.Allocate(channels);
                k.FakeQuantWeightsPerChannel(channels, perChannel, bits, dw, dy, ds);
                return [.. Down(k, dy), .. Down(k, ds)];
            }, Tolerance.Tight);
        }
        long length = small ? 999 : 10_000_019;
        var x = Random(length, 81, 3f);
        foreach (var quant in new[] { QuantParams.Unsigned(8, 2.5f), QuantParams.Symmetric(3, 2f), new QuantParams(0.0625f, 3, -5, 12) })
        {
            Check($"fake-quant per tensor {quant} n={length}", k =>
            {
                using var dx = Up(k, x); using var dy = k.Allocate(length);
                k.FakeQuantPerTensor(quant, dx, dy, length);
                return Down(k, dy);
            }, Tolerance.Tight);
        }
    }

    private void MinMaxChecks(int n)
    {
        var cases = small
            ? new (long Outer, int Channels, long Inner)[] { (1, 1, 5000), (2, 5, 37), (1, 9, 40) }
            : [(1, 1, 32L * 64 * 56 * 56), (n, 64, 56 * 56), (1, 512, 4608), (100_000, 3, 1)];
        int seedOffset = 90;
        foreach (var (outer, channels, inner) in cases)
        {
            var x = Random(outer * channels * inner, seedOffset++, 10f);
            Check($"minmax outer={outer} channels={channels} inner={inner}", k =>
            {
                using var dx = Up(k, x); using var dmin = k.Allocate(channels); using var dmax = k.Allocate(channels);
                k.MinMax(outer, channels, inner, dx, dmin, dmax);
                return [.. Down(k, dmin), .. Down(k, dmax)];
            }, Tolerance.Tight);
        }
    }

    private void OrthogonalityChecks()
    {
        var grams = small ? new (int N, long D)[] { (5, 300), (70, 33) } : [(32, 802_816), (100, 50_000), (16, 1_000_003)];
        int seedOffset = 100;
        foreach (var (n, d) in grams)
        {
            var x = Random(n * d, seedOffset++);
            Check($"gram n={n} d={d}", k =>
            {
                using var dx = Up(k, x); using var dk = k.Allocate((long)n * n);
                k.Gram(n, d, dx, dk);
                return Down(k, dk);
            }, Tolerance.Accumulated);
        }
        int cn = small ? 9 : 32;
        var gram = Random((long)cn * cn, 110, 5f);
        Check($"center gram n={cn} in place", k =>
        {
            using var dk = Up(k, gram);
            k.CenterGram(cn, dk, dk);
            return Down(k, dk);
        }, new Tolerance(1e-5f, 1e-6f));
        int count = small ? 4 : 16;
        long elements = small ? 81 : 1024;
        var matrices = Random(count * elements, 111);
        Check($"frobenius products {count} x {elements}", k =>
        {
            using var dm = Up(k, matrices); using var dp = k.Allocate((long)count * count);
            k.FrobeniusProducts(count, elements, dm, dp);
            return Down(k, dp);
        }, Tolerance.Accumulated);
    }

    private void Check(string name, Func<IKernels, float[]> run, Tolerance tolerance)
    {
        var watch = Stopwatch.StartNew();
        Comparison result;
        try
        {
            var expected = run(reference);
            var actual = run(device);
            result = Comparison.Of(expected, actual, tolerance);
        }
        catch (Exception e)
        {
            result = new Comparison(false, $"threw {e.GetType().Name}: {e.Message.Split('\n')[0]}");
        }
        if (_tiling is { } tiling) name = $"[{tiling}] {name}";
        _results.Add((name, result));
        Console.WriteLine($"{(result.Passed ? "PASS" : "FAIL")}  {name}: {result.Detail} [{watch.Elapsed.TotalSeconds:0.0} s]");
    }

    private static float[] RunLinear(IKernels k, LinearShape s, float[] x, float[] w, float[] bias, Epilogue epilogue)
    {
        using var dx = Up(k, x); using var dw = Up(k, w); using var db = Up(k, bias);
        using var dy = k.Allocate((long)s.Batch * s.Out);
        k.Linear(s, dx, dw, db, dy, epilogue);
        return Down(k, dy);
    }

    private static float[] RunConv(IKernels k, Conv2dShape s, float[] x, float[] w, float[]? bias, Epilogue epilogue)
    {
        using var dx = Up(k, x); using var dw = Up(k, w); using var db = bias is null ? null : Up(k, bias);
        using var dy = k.Allocate(s.OutputSize);
        k.Conv2d(s, dx, dw, db is null ? null : db.All, dy, epilogue);
        return Down(k, dy);
    }

    private static float[] RunPool(IKernels k, Pool2dShape s, float[] x, bool max)
    {
        using var dx = Up(k, x); using var dy = k.Allocate(s.OutputSize);
        if (max) k.MaxPool2d(s, dx, dy); else k.AvgPool2d(s, dx, dy);
        return Down(k, dy);
    }

    private float[] Random(long count, int stream, float scale = 1f)
    {
        var rng = new Random(seed * 7919 + stream);
        var data = new float[count];
        for (long i = 0; i < count; i++) data[i] = (rng.NextSingle() * 2f - 1f) * scale;
        return data;
    }

    private static DeviceBuffer Up(IKernels k, float[] data)
    {
        var buffer = k.Allocate(data.Length);
        k.Upload(data, buffer);
        return buffer;
    }

    private static float[] Down(IKernels k, BufferSlice slice)
    {
        var result = new float[slice.Length];
        k.Download(slice, result);
        return result;
    }

    internal static string Describe(Conv2dShape s)
        => $"{s.N}x{s.C}x{s.H}x{s.W}->{s.K} {s.R}x{s.S} s{s.StrideH}x{s.StrideW} p{s.PadH}x{s.PadW} d{s.DilationH} g{s.Groups}";

    private static string Describe(Pool2dShape s)
        => $"{s.N}x{s.C}x{s.H}x{s.W} {s.R}x{s.S} s{s.StrideH} p{s.PadH}{(s.CountIncludePad ? "" : " excl-pad")}";
}
