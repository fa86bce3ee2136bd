using Ompq.Runtime.Quantization.Ptq;

namespace Ompq.Tests.Quantization;

/// <summary>The weight range search and the activation step search never do worse than covering the whole range, on their own objectives.</summary>
public sealed class LpWeightScalesTests
{
    public static TheoryData<string, int, double> Cases()
    {
        var data = new TheoryData<string, int, double>();
        foreach (string kind in new[] { "gaussian", "laplace", "uniform", "outliers", "sparse" })
            foreach (int bits in new[] { 2, 3, 4, 8 })
                foreach (double p in new[] { 2.0, 2.4, 3.0 })
                    data.Add(kind, bits, p);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LpScalesNeverLoseToMaxAbs(string kind, int bits, double p)
    {
        const int channels = 24, perChannel = 75;
        var weight = Weights(kind, channels, perChannel, seed: bits * 100 + (int)(p * 10));
        var lp = LpWeightScales.Search(weight, channels, bits, p);
        var maxAbs = LpWeightScales.MaxAbs(weight, channels, bits);
        for (int c = 0; c < channels; c++)
        {
            var row = weight.AsSpan(c * perChannel, perChannel);
            double searched = LpWeightScales.Error(row, lp[c], bits, p);
            double covering = LpWeightScales.Error(row, maxAbs[c], bits, p);
            Assert.True(searched <= covering, $"{kind} {bits} bits p={p} channel {c}: Lp error {searched} > max-abs {covering}");
            Assert.True(lp[c] > 0f && float.IsFinite(lp[c]));
        }
    }

    [Fact]
    public void HeavyTailsAtLowBitsClipTheRange()
    {
        const int channels = 16, perChannel = 144;
        var weight = Weights("laplace", channels, perChannel, seed: 7);
        var lp = LpWeightScales.Search(weight, channels, 3);
        var maxAbs = LpWeightScales.MaxAbs(weight, channels, 3);
        int clipped = Enumerable.Range(0, channels).Count(c => lp[c] < maxAbs[c]);
        Assert.True(clipped == channels, $"a 3-bit grid over Laplace weights should clip every channel's outliers; {clipped}/{channels} did");
    }

    [Fact]
    public void ZeroChannelGetsAPositiveScale()
    {
        var weight = new float[2 * 9];
        weight[10] = 0.5f;
        var scales = LpWeightScales.Search(weight, 2, 4);
        Assert.Equal(1f, scales[0]);
        Assert.True(scales[1] > 0f);
    }

    [Theory]
    [InlineData(8, true)]
    [InlineData(4, true)]
    [InlineData(8, false)]
    [InlineData(3, false)]
    public void ActivationStepNeverLosesToCoveringTheRange(int bits, bool afterRelu)
    {
        var random = new Random(bits);
        var values = new float[50_000];
        for (int i = 0; i < values.Length; i++)
        {
            double x = Gaussian(random) * (random.NextDouble() < 0.01 ? 6 : 1);
            values[i] = (float)(afterRelu ? Math.Max(0, x) : x);
        }
        var sample = new ActivationSample(values.Length, seed: 1, budget: 8192);
        sample.Add(values);
        Assert.Equal(values.Min(), sample.Min);
        Assert.Equal(values.Max(), sample.Max);
        Assert.InRange(sample.Values.Length, 8192 / 2, 8192); // one value per stride of ⌈total/budget⌉
        var searched = ActivationStepSearch.Search(bits, sample);
        var covering = Ompq.Runtime.Quantization.ActivationQuant.Covering(bits, sample.Min, sample.Max);
        Assert.Equal(afterRelu, searched.Unsigned);
        Assert.True(ActivationStepSearch.Error(sample.Values, searched) <= ActivationStepSearch.Error(sample.Values, covering));
        Assert.True(searched.Scale <= covering.Scale);
    }

    private static float[] Weights(string kind, int channels, int perChannel, int seed)
    {
        var random = new Random(seed);
        var w = new float[channels * perChannel];
        for (int c = 0; c < channels; c++)
        {
            double spread = 0.01 + 0.2 * random.NextDouble(); // channels of different magnitudes, as after BN folding
            for (int i = 0; i < perChannel; i++)
            {
                double u = random.NextDouble() - 0.5;
                double x = kind switch
                {
                    "gaussian" => Gaussian(random),
                    "laplace" => -Math.Sign(u) * Math.Log(1 - 2 * Math.Abs(u)),
                    "uniform" => 2 * u,
                    "outliers" => Gaussian(random) * (random.NextDouble() < 0.02 ? 10 : 1),
                    "sparse" => random.NextDouble() < 0.8 ? 0 : Gaussian(random),
                    _ => throw new ArgumentException(kind),
                };
                w[c * perChannel + i] = (float)(x * spread);
            }
        }
        return w;
    }

    private static double Gaussian(Random random)
        => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
