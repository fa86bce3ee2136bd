using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Benchmarking;

/// <summary>
/// Measures the machine's fp32 peak with a throughput-bound loop of independent FMAs on every thread, at the widest
/// vector the CPU has (512-bit with AVX-512, else 256-bit with FMA, else 128-bit): a narrower loop would understate
/// the peak of a wide machine and put libtorch above 100 %. Ten accumulators hide the FMA latency (4 cycles × 2 pipes
/// needs ≥ 8 chains). Percent-of-peak figures in the benchmark tables divide by this number.
/// </summary>
public static class FmaPeak
{
    /// <summary>The vector width of the measuring loop, in bits.</summary>
    public static int WidthBits => Avx512F.IsSupported ? 512 : Fma.IsSupported ? 256 : 128;

    /// <param name="seconds">Length of one attempt; the best of five is kept (a shared machine lowers some of them).</param>
    public static double MeasureGflops(int threads, double seconds = 0.15)
    {
        int width = WidthBits;
        Func<long, float> spin = width switch
        {
            512 => Spin512,
            256 => Spin256,
            _ => Spin128,
        };
        const long iterations = 20_000_000;
        // Calibrate once single-threaded so the parallel run lasts about `seconds`.
        var sw = Stopwatch.StartNew();
        spin(iterations / 10);
        double perIteration = sw.Elapsed.TotalSeconds / (iterations / 10);
        long n = Math.Max(1_000_000, (long)(seconds / perIteration));
        double best = 0;
        for (int attempt = 0; attempt < 5; attempt++)
        {
            // Dedicated threads, released together: Parallel.For may run both iterations on one thread when
            // the pool is cold, which halves the figure.
            using var start = new Barrier(threads + 1);
            var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() => { start.SignalAndWait(); spin(n); })).ToArray();
            foreach (var t in workers) t.Start();
            start.SignalAndWait();
            sw.Restart();
            foreach (var t in workers) t.Join();
            double flops = threads * n * 10.0 * (width / 32) * 2;
            best = Math.Max(best, flops / sw.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Spin512(long iterations)
    {
        var a = Vector512.Create(1.0000001f);
        var b = Vector512.Create(0.9999999f);
        Vector512<float> c0 = Vector512.Create(0.1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0,
                         c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Avx512F.FusedMultiplyAdd(c0, a, b); c1 = Avx512F.FusedMultiplyAdd(c1, a, b);
            c2 = Avx512F.FusedMultiplyAdd(c2, a, b); c3 = Avx512F.FusedMultiplyAdd(c3, a, b);
            c4 = Avx512F.FusedMultiplyAdd(c4, a, b); c5 = Avx512F.FusedMultiplyAdd(c5, a, b);
            c6 = Avx512F.FusedMultiplyAdd(c6, a, b); c7 = Avx512F.FusedMultiplyAdd(c7, a, b);
            c8 = Avx512F.FusedMultiplyAdd(c8, a, b); c9 = Avx512F.FusedMultiplyAdd(c9, a, b);
        }
        var sum = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9;
        return sum.GetElement(0);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Spin256(long iterations)
    {
        var a = Vector256.Create(1.0000001f);
        var b = Vector256.Create(0.9999999f);
        Vector256<float> c0 = Vector256.Create(0.1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0,
                         c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Fma.MultiplyAdd(c0, a, b); c1 = Fma.MultiplyAdd(c1, a, b);
            c2 = Fma.MultiplyAdd(c2, a, b); c3 = Fma.MultiplyAdd(c3, a, b);
            c4 = Fma.MultiplyAdd(c4, a, b); c5 = Fma.MultiplyAdd(c5, a, b);
            c6 = Fma.MultiplyAdd(c6, a, b); c7 = Fma.MultiplyAdd(c7, a, b);
            c8 = Fma.MultiplyAdd(c8, a, b); c9 = Fma.MultiplyAdd(c9, a, b);
        }
        var sum = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9;
        return sum.GetElement(0);
    }

    /// <summary>Portable (ARM64 included): Vector128.FusedMultiplyAdd is one instruction where the CPU has FMA.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Spin128(long iterations)
    {
        var a = Vector128.Create(1.0000001f);
        var b = Vector128.Create(0.9999999f);
        Vector128<float> c0 = Vector128.Create(0.1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0,
                         c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector128.FusedMultiplyAdd(c0, a, b); c1 = Vector128.FusedMultiplyAdd(c1, a, b);
            c2 = Vector128.FusedMultiplyAdd(c2, a, b); c3 = Vector128.FusedMultiplyAdd(c3, a, b);
            c4 = Vector128.FusedMultiplyAdd(c4, a, b); c5 = Vector128.FusedMultiplyAdd(c5, a, b);
            c6 = Vector128.FusedMultiplyAdd(c6, a, b); c7 = Vector128.FusedMultiplyAdd(c7, a, b);
            c8 = Vector128.FusedMultiplyAdd(c8, a, b); c9 = Vector128.FusedMultiplyAdd(c9, a, b);
        }
        var sum = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9;
        return sum.GetElement(0);
    }
}
