using System.Diagnostics;
using Ompq.Kernels;
using Ompq.Kernels.Ilgpu;

namespace Ompq.GpuCheck;

/// <summary>
/// Times the kernels that dominate OMPQ on the device: GEMM with both tile sizes (beside cuBLAS sgemm when it loads), a ResNet-18 3×3
/// convolution at batch 32, a MobileNetV2 depthwise layer and the Gram step. Each timing is the best of five runs of
/// enough launches to last ≈0.2 s, bracketed by synchronizations.
/// </summary>
internal sealed class Benchmarks(IlgpuKernels device, bool small)
{
    public void RunAll()
    {
        using var blas = CuBlasGemm.TryCreate(device, out string? blasReason);
        Console.WriteLine(blas is null ? $"cuBLAS: not used ({blasReason})" : "cuBLAS: loaded (sgemm, default math mode)");
        foreach (int size in small ? new[] { 64, 128 } : [1024, 2048, 4096])
        {
            var shape = new GemmShape(size, size, size);
            using var a = Filled(shape.ASize);
            using var b = Filled(shape.BSize);
            using var c = device.Allocate(shape.CSize);
            foreach (var (tiling, label) in new[] { (GemmTiling.Tile64, "64x64 tiles, 4x4/thread"), (GemmTiling.Tile128, "128x128 tiles, 8x8/thread") })
            {
                device.GemmTiling = tiling;
                Report($"gemm {size}^3 ({label})", shape.Flops, 3L * size * size * 4, () => device.Gemm(shape, a, b, c));
            }
            device.GemmTiling = GemmTiling.Auto;
            if (blas is not null)
                Report($"gemm {size}^3 (cuBLAS sgemm)", shape.Flops, 3L * size * size * 4, () => blas.Gemm(shape, a, b, c));
        }

        int n = small ? 2 : 32;
        foreach (var conv in small
                     ? new[] { Conv2dShape.Square(n, 8, 14, 14, 8, 3, 1, 1) }
                     : [Conv2dShape.Square(n, 64, 56, 56, 64, 3, 1, 1), Conv2dShape.Square(n, 128, 28, 28, 128, 3, 1, 1)])
        {
            using var x = Filled(conv.InputSize);
            using var w = Filled(conv.WeightSize);
            using var bias = Filled(conv.K);
            using var y = device.Allocate(conv.OutputSize);
            foreach (var tiling in new[] { GemmTiling.Tile64, GemmTiling.Tile128 })
            {
                device.GemmTiling = tiling;
                Report($"conv {OpChecks.Describe(conv)} + bias + relu (implicit GEMM, {tiling})", conv.Flops,
                    (conv.InputSize + conv.WeightSize + conv.OutputSize) * 4, () => device.Conv2d(conv, x, w, bias, y, Epilogue.Relu));
            }
            device.GemmTiling = GemmTiling.Auto;
        }

        var depthwise = Conv2dShape.Square(n, 144, small ? 14 : 56, small ? 14 : 56, 144, 3, 1, 1, groups: 144);
        using (var x = Filled(depthwise.InputSize))
        using (var w = Filled(depthwise.WeightSize))
        using (var y = device.Allocate(depthwise.OutputSize))
        {
            Report($"depthwise {OpChecks.Describe(depthwise)} + relu6 (direct)", depthwise.Flops,
                (depthwise.InputSize + depthwise.OutputSize) * 4, () => device.Conv2d(depthwise, x, w, null, y, Epilogue.Relu6));
        }

        int gramN = small ? 8 : 32;
        long gramD = small ? 4096 : 802_816;
        using (var x = Filled(gramN * gramD))
        using (var k = device.Allocate((long)gramN * gramN))
        {
            Report($"gram n={gramN} d={gramD} (symmetric split-K)", 2.0 * gramN * gramN * gramD, gramN * gramD * 4,
                () => device.Gram(gramN, gramD, x, k));
        }
    }

    private void Report(string name, double flops, long bytes, Action launch)
    {
        launch();
        device.Synchronize();
        var once = Stopwatch.StartNew();
        launch();
        device.Synchronize();
        int launches = (int)Math.Clamp(0.2 / Math.Max(once.Elapsed.TotalSeconds, 1e-6), 1, 1000);
        double best = double.MaxValue;
        for (int run = 0; run < 5; run++)
        {
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < launches; i++) launch();
            device.Synchronize();
            best = Math.Min(best, watch.Elapsed.TotalSeconds / launches);
        }
        Console.WriteLine($"TIME  {name}: {best * 1e3:0.000} ms, {flops / best / 1e9:0.0} GFLOP/s, {bytes / best / 1e9:0.0} GB/s (compulsory traffic)");
    }

    private DeviceBuffer Filled(long length)
    {
        var buffer = device.Allocate(length);
        var data = new float[length];
        var rng = new Random(5);
        for (long i = 0; i < length; i++) data[i] = rng.NextSingle() - 0.5f;
        device.Upload(data, buffer);
        return buffer;
    }
}
