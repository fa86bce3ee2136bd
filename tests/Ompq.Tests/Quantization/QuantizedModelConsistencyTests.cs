using Ompq.Kernels.Cpu;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Quantization;
using Ompq.Runtime.Tensors;
using Ompq.Runtime.Training;
using Ompq.Tests.Reference;
using Ompq.Tests.Training;

namespace Ompq.Tests.Quantization;

/// <summary>
/// The pieces a quantized model is made of agree with each other: folding batch-norm keeps the function, inference
/// and training compute the same fake-quantized forward, and a checkpoint carries the quantization exactly.
/// </summary>
public sealed class QuantizedModelConsistencyTests
{
    [Fact]
    public void FoldingBatchNormKeepsTheFunction()
    {
        using var kernels = new CpuKernels();
        using var model = ModelZoo.Create("resnet20", 16, seed: 3, classes: 10);
        TrainingStepTests.RandomizeBatchNorms(model, seed: 5);
        using var folded = model.FoldBatchNorm();
        Assert.True(folded.IsBatchNormFolded);
        Assert.False(model.IsBatchNormFolded);
        Assert.DoesNotContain(folded.Parameters.Names, n => n.EndsWith("running_var", StringComparison.Ordinal));
        var images = RandomData.Uniform(new Random(1), 4 * 16 * 16);
        using var x = Tensor.FromHost(kernels, images, 4, 1, 16, 16);
        using var a = model.Forward(x, SearchMode.Qat);
        using var b = folded.Forward(x, SearchMode.Qat);
        AssertClose(a.ToArray(), b.ToArray(), 1e-5);
    }

    [Fact]
    public void InferenceAndTrainingForwardsAgreeUnderQuantization()
    {
        using var kernels = new CpuKernels();
        using var source = ModelZoo.Create("resnet20", 16, seed: 3, classes: 10);
        TrainingStepTests.RandomizeBatchNorms(source, seed: 5);
        using var model = source.FoldBatchNorm();
        var config = MixedConfig(model);
        model.SetQuantization(config);
        var images = RandomData.Uniform(new Random(2), 4 * 16 * 16);
        using var x = Tensor.FromHost(kernels, images, 4, 1, 16, 16);
        using var inference = model.Forward(x, SearchMode.Qat);

        using var executor = new TrainingExecutor(model, kernels) { Training = false };
        executor.SetQuantization(config);
        var training = executor.Forward(x).ToArray();
        AssertClose(inference.ToArray(), training, 1e-5);

        model.SetQuantization(null);
        using var fp32 = model.Forward(x, SearchMode.Qat);
        Assert.NotEqual(fp32.ToArray(), inference.ToArray()); // the configuration did change the computation
    }

    [Fact]
    public void CheckpointCarriesTheQuantizationExactly()
    {
        using var kernels = new CpuKernels();
        using var source = ModelZoo.Create("resnet20", 16, seed: 3, classes: 10);
        using var model = source.FoldBatchNorm();
        var config = MixedConfig(model);
        model.SetQuantization(config);
        var parameters = model.Parameters.Names.Select(n => new KeyValuePair<string, HostTensor>(n, model.Parameters[n])).ToArray();
        var ranges = new Dictionary<string, float[]> { ["layer1.0.conv1"] = new[] { 0f, 2.5f } };
        var checkpoint = new TrainingCheckpoint(ModelIdentity.Of(model), "synthetic", new TrainingOptions(), new TrainingState(), parameters,
            new Dictionary<string, HostTensor>(), 0, config, batchNormFolded: true, activationRanges: ranges);
        string path = Path.Combine(Path.GetTempPath(), $"ompq-quant-{Guid.NewGuid():N}.safetensors");
        try
        {
            checkpoint.Save(path);
            var loaded = TrainingCheckpoint.Load(path);
            Assert.True(loaded.BatchNormFolded);
            Assert.Equal(new[] { 0f, 2.5f }, loaded.ActivationRanges["layer1.0.conv1"]);
            Assert.Equal(config.Layers.Count, loaded.Quantization.Layers.Count);
            foreach (var (layer, q) in config.Layers)
            {
                var r = loaded.Quantization.Layers[layer];
                Assert.Equal(q.WeightBits, r.WeightBits);
                Assert.Equal(q.Input, r.Input);
                Assert.Equal(q.WeightScales, r.WeightScales);
            }
            using var reloaded = loaded.CreateModel(path);
            var images = RandomData.Uniform(new Random(4), 2 * 16 * 16);
            using var x = Tensor.FromHost(kernels, images, 2, 1, 16, 16);
            using var a = model.Forward(x, SearchMode.Qat);
            using var b = reloaded.Forward(x, SearchMode.Qat);
            Assert.Equal(a.ToArray(), b.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void MisfittingConfigurationsAreRefusedWithTheLayerNamed()
    {
        using var model = ModelZoo.Create("resnet20", 16, seed: 3, classes: 10);
        var layer = model.WeightLayers.First().Name;
        var e = Assert.Throws<Ompq.Runtime.InvalidInputException>(() => model.SetQuantization(new QuantizationConfig(
            new Dictionary<string, LayerQuantization> { [layer] = new(4, WeightScales: new[] { 1f }) })));
        Assert.Contains(layer, e.Message);
        Assert.Throws<Ompq.Runtime.InvalidInputException>(() => model.SetQuantization(new QuantizationConfig(
            new Dictionary<string, LayerQuantization> { [layer] = new(4, Input: new ActivationQuant(9, 0.1f, true)) })));
        Assert.Throws<Ompq.Runtime.InvalidInputException>(() => model.SetQuantization(new QuantizationConfig(
            new Dictionary<string, LayerQuantization> { [layer] = new(4, Input: new ActivationQuant(8, float.NaN, true)) })));
    }

    /// <summary>4-bit weights everywhere but the edges; fixed scales on one layer; 8-bit (stem) and 6-bit input grids.</summary>
    private static QuantizationConfig MixedConfig(GraphModel model)
    {
        var layers = model.WeightLayers.ToList();
        var result = new Dictionary<string, LayerQuantization>();
        for (int i = 0; i < layers.Count; i++)
        {
            bool edge = i == 0 || i == layers.Count - 1;
            var input = i == 0 ? new ActivationQuant(8, 4f / 127, Unsigned: false) : new ActivationQuant(6, 0.05f, Unsigned: true);
            float[]? scales = i == 2 ? Enumerable.Range(0, layers[i].OutChannels(model.Parameters)).Select(c => 0.01f + 0.001f * c).ToArray() : null;
            result[layers[i].Name] = new LayerQuantization(edge ? 8 : 4, scales, input);
        }
        return new QuantizationConfig(result);
    }

    private static void AssertClose(float[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        double error = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            error += Math.Pow((double)actual[i] - expected[i], 2);
            norm += (double)expected[i] * expected[i];
        }
        Assert.True(Math.Sqrt(error) <= tolerance * Math.Max(Math.Sqrt(norm), 1e-12), $"relative error {Math.Sqrt(error) / Math.Sqrt(norm):G3} > {tolerance}");
    }
}
