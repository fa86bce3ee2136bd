using Ompq.Kernels.Cpu;
using Ompq.Runtime.Search;
using Ompq.Runtime.Tensors;

namespace Ompq.Tests.Search;

/// <summary>
/// Features whose mean is 1e4× their spread: a float32 Gram centred afterwards loses the spread to cancellation, so
/// X is centred first. Compared with linear CKA in float64 on the same float32 values.
/// </summary>
public sealed class OrmPrecisionTests
{
    private const int N = 16;

    private static float[][] LargeMeanFeatures(int[] widths, int seed)
    {
        var rng = new Random(seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var shared = Enumerable.Range(0, N).Select(_ => Normal()).ToArray(); // a per-image signal every unit partly sees
        var features = new float[widths.Length][];
        for (int u = 0; u < widths.Length; u++)
        {
            int d = widths[u];
            var mean = Enumerable.Range(0, d).Select(_ => 1e4 * (0.5 + rng.NextDouble())).ToArray();
            var load = Enumerable.Range(0, d).Select(_ => Normal()).ToArray();
            features[u] = new float[N * d];
            for (int i = 0; i < N; i++)
            for (int j = 0; j < d; j++)
                features[u][i * d + j] = (float)(mean[j] + (u + 1) * 0.3 * shared[i] * load[j] + Normal());
        }
        return features;
    }

    private static double[,] Float64Cka(float[][] features)
    {
        int l = features.Length;
        var grams = new double[l][,];
        for (int u = 0; u < l; u++)
        {
            int d = features[u].Length / N;
            var xc = new double[N, d];
            for (int j = 0; j < d; j++)
            {
                double mean = 0;
                for (int i = 0; i < N; i++) mean += features[u][i * d + j];
                mean /= N;
                for (int i = 0; i < N; i++) xc[i, j] = features[u][i * d + j] - mean;
            }
            var k = grams[u] = new double[N, N];
            for (int a = 0; a < N; a++)
            for (int b = 0; b < N; b++)
            {
                double sum = 0;
                for (int j = 0; j < d; j++) sum += xc[a, j] * xc[b, j];
                k[a, b] = sum;
            }
        }
        double Dot(double[,] p, double[,] q)
        {
            double sum = 0;
            for (int a = 0; a < N; a++)
            for (int b = 0; b < N; b++) sum += p[a, b] * q[a, b];
            return sum;
        }
        var orm = new double[l, l];
        for (int i = 0; i < l; i++)
        for (int j = 0; j < l; j++)
            orm[i, j] = Dot(grams[i], grams[j]) / Math.Sqrt(Dot(grams[i], grams[i]) * Dot(grams[j], grams[j]));
        return orm;
    }

    [Theory]
    [InlineData(OrmForm.Gram)]
    [InlineData(OrmForm.Feature)]
    public void LargeMeanFeaturesMatchFloat64(OrmForm form)
    {
        int[] widths = [40, 64, 100, 24];
        float[][] features = LargeMeanFeatures(widths, seed: 9);
        using var kernels = new CpuKernels(2);
        using var builder = new OrthogonalityMatrix(kernels, widths.Select((_, u) => $"unit{u}").ToArray(), N, form);
        for (int u = 0; u < widths.Length; u++)
        {
            using var x = Tensor.FromHost(kernels, features[u], N, widths[u]);
            builder.Add(u, x);
        }
        double[,] orm = builder.Compute();
        double[,] expected = Float64Cka(features);
        for (int i = 0; i < widths.Length; i++)
        for (int j = 0; j < widths.Length; j++)
            Assert.True(Math.Abs(orm[i, j] - expected[i, j]) <= 1e-4, $"[{i},{j}]: {orm[i, j]} vs float64 {expected[i, j]}");
        Assert.True(expected[0, 3] > 0.2 && expected[0, 3] < 0.95, $"the test needs informative off-diagonals, got {expected[0, 3]}");
    }
}
