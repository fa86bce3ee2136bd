using System.Numerics;
using Ompq.Kernels;
using Ompq.Kernels.Cpu;

namespace Ompq.Tests.Kernels;

/// <summary>
/// Random extreme shape parameters (0, negatives, 2^16±1, 2^31−1 beside small values) through Validate(): a shape is
/// either refused with <see cref="KernelArgumentException"/> or its derived sizes are exact (checked against
/// arbitrary-precision arithmetic). Accepted shapes small enough to run go through the cpu backend inside guard
/// regions — inputs followed by NaN, the output by a sentinel — and must match a naive reference on bounds-checked
/// managed arrays, with every guard untouched: an out-of-bounds read shows up as NaN or a wrong value, a write as a
/// changed sentinel.
/// </summary>
public sealed class ShapeFuzzTests
{
    private const int Guard = 64;
    private const float Sentinel = 7777f;
    private static readonly int[] Extremes = [int.MinValue, -65536, -1, 0, 65535, 65536, 65537, 1 << 20, int.MaxValue - 1, int.MaxValue];

    private static int Pick(Random rng, int smallMax) => rng.Next(10) < 8 ? 1 + rng.Next(smallMax) : Extremes[rng.Next(Extremes.Length)];

    private static int PickPad(Random rng) => rng.Next(10) < 8 ? rng.Next(3) : Extremes[rng.Next(Extremes.Length)];

    private static BigInteger Outputs(int size, int pad, int kernel, int stride, int dilation)
        => (new BigInteger(size) + 2 * new BigInteger(pad) - new BigInteger(dilation) * (kernel - new BigInteger(1)) - 1) / stride + 1;

    [Fact]
    public void ConvShapesAreRefusedOrExactAndRunInBounds()
    {
        var rng = new Random(1301);
        using var kernels = new CpuKernels(2);
        int accepted = 0, ran = 0;
        for (int trial = 0; trial < 20000; trial++)
        {
            int c = Pick(rng, 4), groups = rng.Next(4) == 0 ? c : rng.Next(6) == 0 ? Pick(rng, 2) : 1;
            int k = rng.Next(4) == 0 ? c : Pick(rng, 4);
            var s = new Conv2dShape(Pick(rng, 2), c, Pick(rng, 9), Pick(rng, 9), k, Pick(rng, 3), Pick(rng, 3),
                Pick(rng, 2), Pick(rng, 2), PickPad(rng), PickPad(rng), Pick(rng, 2), Pick(rng, 2), groups);
            try { s.Validate(); }
            catch (KernelArgumentException) { continue; }
            accepted++;
            Assert.Equal(Outputs(s.H, s.PadH, s.R, s.StrideH, s.DilationH), new BigInteger(s.P));
            Assert.Equal(Outputs(s.W, s.PadW, s.S, s.StrideW, s.DilationW), new BigInteger(s.Q));
            Assert.Equal(new BigInteger(s.N) * s.K * s.P * s.Q, new BigInteger(s.OutputSize));
            Assert.Equal(new BigInteger(s.N) * s.C * s.H * s.W, new BigInteger(s.InputSize));
            Assert.InRange(s.PaddedPlaneElements, 1, int.MaxValue);
            if (s.InputSize > 4096 || s.OutputSize > 4096 || s.WeightSize > 4096 || s.PaddedPlaneElements > 1 << 20
                || (double)s.OutputSize * s.CPerGroup * s.R * s.S > 2e6) continue;
            RunConv(kernels, s, rng);
            ran++;
        }
        Assert.True(accepted > 1000 && ran > 300, $"accepted {accepted}, ran {ran}: the generator should reach the kernels often");
    }

    [Fact]
    public void PoolShapesAreRefusedOrExactAndRunInBounds()
    {
        var rng = new Random(1302);
        using var kernels = new CpuKernels(2);
        int accepted = 0, ran = 0;
        for (int trial = 0; trial < 20000; trial++)
        {
            var s = new Pool2dShape(Pick(rng, 2), Pick(rng, 3), Pick(rng, 9), Pick(rng, 9), Pick(rng, 4), Pick(rng, 4),
                Pick(rng, 3), Pick(rng, 3), PickPad(rng), PickPad(rng), rng.Next(2) == 0);
            try { s.Validate(); }
            catch (KernelArgumentException) { continue; }
            accepted++;
            Assert.Equal(Outputs(s.H, s.PadH, s.R, s.StrideH, 1), new BigInteger(s.P));
            Assert.Equal(Outputs(s.W, s.PadW, s.S, s.StrideW, 1), new BigInteger(s.Q));
            Assert.Equal(new BigInteger(s.N) * s.C * s.P * s.Q, new BigInteger(s.OutputSize));
            if (s.InputSize > 4096 || s.OutputSize > 4096 || s.PaddedPlaneElements > 1 << 20 || (double)s.OutputSize * s.R * s.S > 2e6) continue;
            RunPool(kernels, s, rng);
            ran++;
        }
        Assert.True(accepted > 1000 && ran > 300, $"accepted {accepted}, ran {ran}: the generator should reach the kernels often");
    }

    [Fact]
    public void DerivedSizesOfExtremeShapesNeverWrapOrThrowAnythingElse()
    {
        // Properties are read before Validate() (messages, buffer checks): they must not throw or wrap to a plausible size.
        foreach (int a in Extremes.Concat([1, 2, 3]))
            foreach (int b in Extremes.Concat([1, 2, 3]))
            {
                var conv = new Conv2dShape(1, 1, 8, 8, 1, a, 1, 1, 1, 0, 0, b, 1, 1);
                _ = (conv.P, conv.Q, conv.InputSize, conv.OutputSize, conv.WeightSize, conv.PaddedPlaneElements, conv.ToString());
                try { conv.Validate(); Assert.True(conv.P >= 1 && (long)b * (a - 1) + 1 <= 8, conv.ToString()); }
                catch (KernelArgumentException) { }
                var pool = new Pool2dShape(1, 1, 8, 8, a, b, 1, 1, a / 2, 0);
                _ = (pool.P, pool.Q, pool.OutputSize, pool.PaddedPlaneElements, pool.ToString());
                try { pool.Validate(); Assert.True(a <= 8 + 2L * (a / 2) && pool.P >= 1, pool.ToString()); }
                catch (KernelArgumentException) { }
            }
        foreach (int a in Extremes)
        {
            Assert.Throws<KernelArgumentException>(() => new GemmShape(a, a, a).Validate());
            Assert.Throws<KernelArgumentException>(() => new LinearShape(a, a, a).Validate());
            Assert.Throws<KernelArgumentException>(() => new ChannelShape(a, a, a).Validate());
        }
    }

    private static float[] Random(Random rng, long count) => Enumerable.Range(0, (int)count).Select(_ => rng.NextSingle() * 2 - 1).ToArray();

    /// <summary>A buffer holding <paramref name="values"/> followed by <see cref="Guard"/> copies of <paramref name="guard"/>.</summary>
    private static DeviceBuffer Guarded(IKernels kernels, float[] values, float guard)
    {
        var buffer = kernels.Allocate(values.Length + Guard);
        kernels.Upload([.. values, .. Enumerable.Repeat(guard, Guard)], buffer);
        return buffer;
    }

    private static float[] RunAndCheckGuard(IKernels kernels, DeviceBuffer y, long length, string shape)
    {
        var all = new float[length + Guard];
        kernels.Download(y, all);
        for (long i = length; i < all.Length; i++) Assert.True(all[i] == Sentinel, $"write past the output at +{i - length} for {shape}");
        return all[..(int)length];
    }

    private static void RunConv(IKernels kernels, Conv2dShape s, Random rng)
    {
        float[] x = Random(rng, s.InputSize), w = Random(rng, s.WeightSize), bias = Random(rng, s.K);
        using var xb = Guarded(kernels, x, float.NaN);
        using var wb = Guarded(kernels, w, float.NaN);
        using var bb = Guarded(kernels, bias, float.NaN);
        using var yb = Guarded(kernels, new float[s.OutputSize], Sentinel);
        kernels.Conv2d(s, xb.Slice(0, s.InputSize), wb.Slice(0, s.WeightSize), bb.Slice(0, s.K), yb.Slice(0, s.OutputSize));
        var y = RunAndCheckGuard(kernels, yb, s.OutputSize, s.ToString());
        int cg = s.CPerGroup, kg = s.KPerGroup;
        for (int n = 0; n < s.N; n++)
            for (int k = 0; k < s.K; k++)
                for (int p = 0; p < s.P; p++)
                    for (int q = 0; q < s.Q; q++)
                    {
                        double sum = bias[k], magnitude = Math.Abs(bias[k]);
                        int g = k / kg;
                        for (int c = 0; c < cg; c++)
                            for (int r = 0; r < s.R; r++)
                                for (int t = 0; t < s.S; t++)
                                {
                                    long ih = (long)p * s.StrideH - s.PadH + (long)r * s.DilationH, iw = (long)q * s.StrideW - s.PadW + (long)t * s.DilationW;
                                    if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) continue;
                                    double term = x[((n * s.C + g * cg + c) * s.H + ih) * s.W + iw] * (double)w[((k * cg + c) * s.R + r) * s.S + t];
                                    sum += term;
                                    magnitude += Math.Abs(term);
                                }
                        float got = y[((n * s.K + k) * s.P + p) * s.Q + q];
                        Assert.True(float.IsFinite(got) && Math.Abs(got - sum) <= 1e-4 * (1 + magnitude),
                            $"conv output ({n},{k},{p},{q}) = {got}, reference {sum}, for {s}");
                    }
    }

    private static void RunPool(IKernels kernels, Pool2dShape s, Random rng)
    {
        float[] x = Random(rng, s.InputSize);
        using var xb = Guarded(kernels, x, float.NaN);
        foreach (bool max in new[] { true, false })
        {
            using var yb = Guarded(kernels, new float[s.OutputSize], Sentinel);
            if (max) kernels.MaxPool2d(s, xb.Slice(0, s.InputSize), yb.Slice(0, s.OutputSize));
            else kernels.AvgPool2d(s, xb.Slice(0, s.InputSize), yb.Slice(0, s.OutputSize));
            var y = RunAndCheckGuard(kernels, yb, s.OutputSize, s.ToString());
            for (int plane = 0; plane < s.N * s.C; plane++)
                for (int p = 0; p < s.P; p++)
                    for (int q = 0; q < s.Q; q++)
                    {
                        double best = double.NegativeInfinity, sum = 0;
                        int inside = 0;
                        for (int r = 0; r < s.R; r++)
                            for (int t = 0; t < s.S; t++)
                            {
                                long ih = (long)p * s.StrideH - s.PadH + r, iw = (long)q * s.StrideW - s.PadW + t;
                                if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) continue;
                                float v = x[(plane * s.H + ih) * s.W + iw];
                                best = Math.Max(best, v);
                                sum += v;
                                inside++;
                            }
                        double expected = max ? best : sum / (s.CountIncludePad ? s.R * s.S : inside);
                        float got = y[(plane * s.P + p) * s.Q + q];
                        Assert.True(inside == 0 ? true : float.IsFinite(got) && Math.Abs(got - expected) <= 1e-5 * (1 + Math.Abs(expected) + s.R * s.S),
                            $"{(max ? "max" : "average")} pool output ({plane},{p},{q}) = {got}, reference {expected}, for {s}");
                    }
        }
    }
}
