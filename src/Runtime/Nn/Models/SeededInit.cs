namespace Ompq.Runtime.Nn.Models;

/// <summary>Deterministic parameter initialisation from a seed, with torchvision's schemes.</summary>
internal sealed class SeededInit
{
    private readonly Random _random;

    public SeededInit(int seed) => _random = new Random(seed);

    /// <summary>Kaiming-normal, fan_out mode, ReLU gain (torchvision's conv init): N(0, 2/(K·R·S)).</summary>
    public float[] KaimingNormalFanOut(int outChannels, int inPerGroup, int kernelH, int kernelW)
    {
        double std = Math.Sqrt(2.0 / ((double)outChannels * kernelH * kernelW));
        return Normal((long)outChannels * inPerGroup * kernelH * kernelW, std);
    }

    /// <summary>PyTorch's nn.Linear default: weight and bias uniform in ±1/√in.</summary>
    public (float[] Weight, float[] Bias) LinearDefault(int inFeatures, int outFeatures)
    {
        double bound = 1.0 / Math.Sqrt(inFeatures);
        return (Uniform((long)inFeatures * outFeatures, bound), Uniform(outFeatures, bound));
    }

    public float[] Normal(long count, double std)
    {
        var values = new float[count];
        for (long i = 0; i < count; i += 2)
        {
            // Box–Muller: two independent normals per pair of uniforms.
            double u1 = 1.0 - _random.NextDouble();
            double u2 = _random.NextDouble();
            double radius = Math.Sqrt(-2.0 * Math.Log(u1)) * std;
            values[i] = (float)(radius * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < count) values[i + 1] = (float)(radius * Math.Sin(2 * Math.PI * u2));
        }
        return values;
    }

    public float[] Uniform(long count, double bound)
    {
        var values = new float[count];
        for (long i = 0; i < count; i++) values[i] = (float)((_random.NextDouble() * 2 - 1) * bound);
        return values;
    }
}
