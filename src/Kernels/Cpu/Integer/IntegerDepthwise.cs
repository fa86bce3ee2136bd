using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu.Integer;

/// <summary>
/// Depthwise convolution on channels-last codes: per output pixel, int32 sums over the window for all channels at once
/// (8 channels per AVX2 step), then the same fused epilogue as the GEMM. Taps in the padding read the zero code.
/// </summary>
internal static unsafe class IntegerDepthwise
{
    internal struct Job
    {
        public Conv2dShape Shape;
        public byte* Input;
        public byte* ZeroRow;
        public int* Taps;
        public int* Scratch;
        public bool Vector;
        public EpilogueTarget Epilogue;
    }

    /// <summary>Per-worker int32 sums of one pixel, plus one row of zero codes.</summary>
    public static long ScratchBytes(in Conv2dShape s, int threads) => (long)s.C * 4 * threads + s.C + 64;

    public static void Run(in Job job, int threads)
    {
        long pixels = (long)job.Shape.N * job.Shape.P * job.Shape.Q;
        if (threads <= 1)
        {
            Pixels(job, 0, 0, pixels);
            return;
        }
        RunParallel(job, pixels, threads);
    }

    // Separate from Run: a lambda's captures would otherwise allocate on every call, serial ones included.
    private static void RunParallel(Job job, long pixels, int threads)
    {
        long per = (pixels + threads - 1) / threads;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads },
            t => Pixels(job, t, t * per, Math.Min(pixels, (t + 1) * per)));
    }

    private static void Pixels(in Job job, int worker, long first, long end)
    {
        var s = job.Shape;
        int c = s.C;
        int* acc = job.Scratch + (long)worker * c;
        for (long m = first; m < end; m++)
        {
            int n = (int)(m / ((long)s.P * s.Q)), pq = (int)(m % ((long)s.P * s.Q));
            int op = pq / s.Q, oq = pq % s.Q;
            new Span<int>(acc, c).Clear();
            for (int r = 0; r < s.R; r++)
            {
                int h = op * s.StrideH - s.PadH + r * s.DilationH;
                for (int t = 0; t < s.S; t++)
                {
                    int w = oq * s.StrideW - s.PadW + t * s.DilationW;
                    byte* x = h < 0 || h >= s.H || w < 0 || w >= s.W ? job.ZeroRow : job.Input + (((long)n * s.H + h) * s.W + w) * c;
                    int* taps = job.Taps + (r * s.S + t) * c;
                    int i = 0;
                    if (job.Vector)
                        for (; i + 8 <= c; i += 8)
                            Avx.Store(acc + i, Avx2.Add(Avx.LoadVector256(acc + i), Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(x + i), Avx.LoadVector256(taps + i))));
                    for (; i < c; i++) acc[i] += x[i] * taps[i];
                }
            }
            IntegerEpilogueRow.Apply(job.Epilogue, acc, m, 0, c, job.Vector);
        }
    }
}
