using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Benchmarking;

/// <summary>
/// Measures the machine's fp32 peak with a throughput-bound loop of independent 256-bit FMAs on every thread:
/// ten accumulators hide the FMA latency (4 cycles × 2 pipes needs ≥ 8 chains). Percent-of-peak figures in
/// the benchmark tables divide by this number.
/// </summary>
public static class FmaPeak
{
    public static double MeasureGflops(int threads, double seconds = 0.3)
    {
        if (!Fma.IsSupported) return double.NaN;
        const long iterations = 20_000_000;
        // Calibrate once single-threaded so the parallel run lasts about `seconds`.
        var sw = Stopwatch.StartNew();
        Spin(iterations / 10);
        double perIteration = sw.Elapsed.TotalSeconds / (iterations / 10);
        long n = Math.Max(1_000_000, (long)(seconds / perIteration));
        double best = 0;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            // Dedicated threads, released together: Parallel.For may run both iterations on one thread when
            // the pool is cold, which halves the figure.
            using var start = new Barrier(threads + 1);
            var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() => { start.SignalAndWait(); Spin(n); })).ToArray();
            foreach (var t in workers) t.Start();
            start.SignalAndWait();
            sw.Restart();
            foreach (var t in workers) t.Join();
            double flops = threads * n * 10.0 * 8 * 2;
            best = Math.Max(best, flops / sw.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Spin(long iterations)
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
}
