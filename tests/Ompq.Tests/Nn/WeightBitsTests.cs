using Ompq.Kernels.Cpu;
using Ompq.Runtime;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Tests.Reference;
using Xunit.Abstractions;

namespace Ompq.Tests.Nn;

/// <summary>Fake-quantized weight inference (per-channel symmetric on the BN-folded weight) against a host computation.</summary>
public sealed class WeightBitsTests
{
    private readonly ITestOutputHelper _output;

    public WeightBitsTests(ITestOutputHelper output) => _output = output;

    private static float[] QuantizePerChannel(float[] w, int channels, int bits)
    {
        int per = w.Length / channels;
        int qmax = (1 << (bits - 1)) - 1;
        var y = new float[w.Length];
        for (int c = 0; c < channels; c++)
        {
            float max = 0;
            for (int i = 0; i < per; i++) max = Math.Max(max, Math.Abs(w[c * per + i]));
            if (max == 0) continue;
            float scale = max / qmax;
            for (int i = 0; i < per; i++)
                y[c * per + i] = Math.Clamp(MathF.Round(w[c * per + i] / scale), -qmax - 1, qmax) * scale;
        }
        return y;
    }

    private static void RandomizeBatchNorms(GraphModel model, int seed)
    {
        var rng = new Random(seed);
        foreach (var name in model.Parameters.Names)
        {
            var data = model.Parameters[name].Data;
            if (name.Contains("bn") || name.Contains("downsample.1"))
                for (int i = 0; i < data.Length; i++)
                    data[i] = name.EndsWith("running_var") || name.EndsWith(".weight") ? 0.5f + rng.NextSingle() : 0.4f * rng.NextSingle() - 0.2f;
        }
        model.Parameters.MarkChanged();
    }

    [Fact]
    public void QuantizedForwardMatchesHostQuantizedFoldedWeights()
    {
        using var model = ModelZoo.Create("resnet20", seed: 12);
        RandomizeBatchNorms(model, 1);
        var bits = new Dictionary<string, int>();
        int k = 0;
        foreach (var layer in model.WeightLayers) bits[layer.Name] = 2 + k++ % 7;
        model.SetWeightBits(bits);

        // Reference: a model whose weights are the host-quantized folded weights and whose batch-norms are identities.
        using var reference = ModelZoo.Create("resnet20", seed: 99);
        foreach (var layer in model.WeightLayers)
        {
            if (layer is ConvNode conv)
            {
                var w = model.Parameters[conv.WeightName];
                var (folded, bias) = BatchNormFolding.Fold(w, null, model.Parameters, conv.BatchNorm);
                reference.Parameters.SetValues(conv.WeightName, QuantizePerChannel(folded, w.Shape[0], bits[layer.Name]));
                var bn = conv.BatchNorm!;
                reference.Parameters.SetValues(bn.Gamma, Enumerable.Repeat(1f, bias.Length).ToArray());
                reference.Parameters.SetValues(bn.Beta, bias);
                reference.Parameters.SetValues(bn.RunningMean, new float[bias.Length]);
                reference.Parameters.SetValues(bn.RunningVar, Enumerable.Repeat(1f - bn.Eps, bias.Length).ToArray());
            }
            else if (layer is LinearNode linear)
            {
                var w = model.Parameters[linear.WeightName];
                reference.Parameters.SetValues(linear.WeightName, QuantizePerChannel(w.Data, w.Shape[0], bits[layer.Name]));
                reference.Parameters.SetValues(linear.BiasName!, model.Parameters[linear.BiasName!].Data);
            }
        }

        using var kernels = new CpuKernels();
        var input = RandomData.Uniform(new Random(5), 4 * 28 * 28);
        var shape = new[] { 4, 1, 28, 28 };
        var quantized = TorchModelFixtures.OurForward(kernels, model, input, shape);
        var expected = TorchModelFixtures.OurForward(kernels, reference, input, shape);
        double error = TorchModelFixtures.RelativeMaxError(quantized, expected);
        _output.WriteLine($"quantized forward vs host-quantized weights: {error:E2}");
        Assert.True(error <= 1e-4, $"relative max error {error:E2}");

        // Quantization changes the result, and clearing the bits restores full precision.
        model.SetWeightBits(null);
        var full = TorchModelFixtures.OurForward(kernels, model, input, shape);
        Assert.True(TorchModelFixtures.RelativeMaxError(quantized, full) > 1e-2);
        Assert.Empty(model.WeightBitWidths);
    }

    [Fact]
    public void UnknownLayersAndBadWidthsAreRejected()
    {
        using var model = ModelZoo.Create("resnet20");
        Assert.Throws<InvalidInputException>(() => model.SetWeightBits(new Dictionary<string, int> { ["layer1.0.bn1"] = 4 }));
        Assert.Throws<InvalidInputException>(() => model.SetWeightBits(new Dictionary<string, int> { ["layer1.0.conv1"] = 9 }));
    }
}
