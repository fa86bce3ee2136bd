using Ompq.Kernels.Cpu;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Tensors;
using Ompq.Tests.Reference;

namespace Ompq.Tests.Nn;

/// <summary>Quantization-unit lists (spec §2, §5): counts, names, parameter sums, MACs and feature sizes.</summary>
public sealed class ModelUnitTests
{
    /// <summary>Trainable parameters (conv/linear weights and biases, BN γ and β) — the torchvision parameter count.</summary>
    private static long TrainableParams(GraphModel model)
        => model.Parameters.Names.Where(n => !n.EndsWith("running_mean") && !n.EndsWith("running_var")).Sum(n => model.Parameters[n].Size);

    [Theory]
    [InlineData("resnet18", 16, 18, 11_689_512L)]
    [InlineData("resnet50", 48, 50, 25_557_032L)]
    [InlineData("mobilenet_v2", 51, 53, 3_504_872L)]
    [InlineData("resnet20", 18, 20, 0L)]
    public void UnitCountsAndParameterSums(string name, int qat, int ptq, long torchvisionParams)
    {
        using var model = ModelZoo.Create(name);
        var qatUnits = model.Units(SearchMode.Qat);
        var ptqUnits = model.Units(SearchMode.Ptq);
        Assert.Equal(qat, qatUnits.Count);
        Assert.Equal(ptq, ptqUnits.Count);
        long total = TrainableParams(model);
        if (torchvisionParams > 0) Assert.Equal(torchvisionParams, total);

        // Every weight layer is counted exactly once: in a unit or among the fixed layers.
        Assert.Equal(total, qatUnits.Sum(u => u.Params) + model.Fixed(SearchMode.Qat).Params);
        Assert.Equal(total, ptqUnits.Sum(u => u.Params));
        Assert.Equal(0, model.Fixed(SearchMode.Ptq).Params);
        Assert.All(qatUnits, u => Assert.Null(u.FixedBits));
        Assert.Equal(8, ptqUnits[0].FixedBits);
        Assert.Equal(8, ptqUnits[^1].FixedBits);
        Assert.All(ptqUnits.Skip(1).SkipLast(1), u => Assert.Null(u.FixedBits));
        Assert.Equal(qatUnits.Select(u => u.Name), ptqUnits.Skip(1).SkipLast(1).Select(u => u.Name));
        Assert.Equal(ptqUnits.Sum(u => u.Macs), qatUnits.Sum(u => u.Macs) + model.Fixed(SearchMode.Qat).Macs);
    }

    [Fact]
    public void ResNet18UnitsFollowTheReferenceChoice()
    {
        using var model = ModelZoo.Create("resnet18");
        var units = model.Units(SearchMode.Qat);
        var expected = new List<string>();
        for (int stage = 1; stage <= 4; stage++)
            for (int block = 0; block < 2; block++)
            {
                expected.Add($"layer{stage}.{block}.conv1");
                expected.Add($"layer{stage}.{block}");
            }
        Assert.Equal(expected, units.Select(u => u.Name));
        Assert.Equal(new[] { "conv1", "fc" }, model.Fixed(SearchMode.Qat).Layers);

        var first = units[0];
        Assert.Equal(new[] { "layer1.0.conv1" }, first.Layers);
        Assert.Equal(64L * 64 * 9 + 2 * 64, first.Params);
        Assert.Equal(64L * 56 * 56 * 64 * 9, first.Macs);
        Assert.Equal(64L * 56 * 56, first.FeatureSize);

        var downsampleBlock = units.Single(u => u.Name == "layer2.0");
        Assert.Equal(new[] { "layer2.0.conv2", "layer2.0.downsample.0" }, downsampleBlock.Layers);
        Assert.Equal(128L * 128 * 9 + 2 * 128 + 128L * 64 + 2 * 128, downsampleBlock.Params);
        Assert.Equal(128L * 28 * 28 * (128 * 9 + 64), downsampleBlock.Macs);
        Assert.Equal(128L * 28 * 28, downsampleBlock.FeatureSize);

        var ptq = model.Units(SearchMode.Ptq);
        Assert.Equal("conv1", ptq[0].Name);
        Assert.Equal(64L * 112 * 112, ptq[0].FeatureSize);
        Assert.Equal(64L * 3 * 49 + 128, ptq[0].Params);
        Assert.Equal("fc", ptq[^1].Name);
        Assert.Equal(1000L, ptq[^1].FeatureSize);
        Assert.Equal(512L * 1000 + 1000, ptq[^1].Params);
    }

    [Fact]
    public void UnitSizesFollowTheInputSize()
    {
        using var small = ModelZoo.Create("resnet18", inputSize: 64);
        using var large = ModelZoo.Create("resnet18", inputSize: 224);
        var s = small.Units(SearchMode.Qat)[0];
        var l = large.Units(SearchMode.Qat)[0];
        Assert.Equal(64L * 16 * 16, s.FeatureSize);
        Assert.Equal(l.Params, s.Params);
        Assert.Equal(l.Macs * 16 * 16 / (56 * 56), s.Macs);
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData("resnet50")]
    [InlineData("resnet20")]
    public void DetectorFindsTheSameUnitsAsTheBuilders(string name)
    {
        // The ONNX importer relies on the detector; on the zoo graphs it must reproduce the hand-written QAT units.
        using var model = ModelZoo.Create(name);
        var (detected, covered) = ResidualUnitDetector.Detect(model.Graph);
        var units = model.Units(SearchMode.Qat);
        Assert.Equal(units.Select(u => u.Name), detected.Select(u => u.Name));
        Assert.Equal(units.Select(u => string.Join(",", u.Layers)), detected.Select(u => string.Join(",", u.Layers)));
        Assert.DoesNotContain("conv1", covered);
    }

    [Fact]
    public void ResNet50HasThreeUnitsPerBottleneck()
    {
        using var model = ModelZoo.Create("resnet50");
        var names = model.Units(SearchMode.Qat).Take(3).Select(u => u.Name);
        Assert.Equal(new[] { "layer1.0.conv1", "layer1.0.conv2", "layer1.0" }, names);
        var block = model.Units(SearchMode.Qat)[2];
        Assert.Equal(new[] { "layer1.0.conv3", "layer1.0.downsample.0" }, block.Layers);
        Assert.Equal(256L * 56 * 56, block.FeatureSize);
    }

    [Fact]
    public void MobileNetV2UnitsAreOnePerConv()
    {
        using var model = ModelZoo.Create("mobilenet_v2");
        var ptq = model.Units(SearchMode.Ptq);
        // stem + features.1 (2 convs) + 16 blocks × 3 convs + features.18 + classifier
        Assert.Equal(1 + 2 + 16 * 3 + 1 + 1, ptq.Count);
        Assert.Equal(52, model.WeightLayers.Count(l => l is ConvNode));
        Assert.Equal(new[] { "features.0", "features.1.conv.0", "features.1", "features.2.conv.0", "features.2.conv.1", "features.2" },
            ptq.Take(6).Select(u => u.Name));
        Assert.Equal(new[] { "features.17", "features.18", "classifier.1" }, ptq.TakeLast(3).Select(u => u.Name));
        Assert.All(ptq, u => Assert.Single(u.Layers));
        var depthwise = ptq.Single(u => u.Name == "features.2.conv.1");
        Assert.Equal(96L * 9 + 2 * 96, depthwise.Params);
        Assert.Equal(96L * 56 * 56 * 9, depthwise.Macs);
        Assert.Equal(new[] { "features.0.0", "classifier.1" }, model.Fixed(SearchMode.Qat).Layers);
    }

    [Theory]
    [InlineData("resnet18", 64, SearchMode.Qat)]
    [InlineData("resnet18", 64, SearchMode.Ptq)]
    [InlineData("mobilenet_v2", 64, SearchMode.Ptq)]
    [InlineData("resnet20", 28, SearchMode.Ptq)]
    public void CapturedFeaturesMatchTheUnitList(string name, int size, SearchMode mode)
    {
        using var kernels = new CpuKernels();
        using var model = ModelZoo.Create(name, inputSize: size, seed: 3);
        int channels = model.InputShape.Channels;
        const int batch = 2;
        using var input = Tensor.FromHost(kernels, RandomData.Uniform(new Random(1), batch * channels * size * size), batch, channels, size, size);
        var seen = new List<(int Unit, long Size, int Batch)>();
        var units = model.Units(mode);
        float[]? capturedLogits = null;
        using var output = model.Forward(input, mode, (unit, feature) =>
        {
            seen.Add((unit, feature.Size, feature.Dim(0)));
            if (unit == units.Count - 1) capturedLogits = feature.ToArray();
        });
        Assert.Equal(Enumerable.Range(0, units.Count), seen.Select(s => s.Unit));
        Assert.All(seen, s => Assert.Equal(units[s.Unit].FeatureSize * batch, s.Size));
        Assert.All(seen, s => Assert.Equal(batch, s.Batch));
        Assert.Equal(new[] { batch, model.OutputShape[0] }, output.Shape);
        if (mode == SearchMode.Ptq) Assert.Equal(output.ToArray(), capturedLogits);
    }

    [Fact]
    public void SeededInitialisationIsDeterministic()
    {
        using var a = ModelZoo.Create("resnet20", seed: 7);
        using var b = ModelZoo.Create("resnet20", seed: 7);
        using var c = ModelZoo.Create("resnet20", seed: 8);
        Assert.Equal(a.Parameters["layer2.0.conv1.weight"].Data, b.Parameters["layer2.0.conv1.weight"].Data);
        Assert.NotEqual(a.Parameters["layer2.0.conv1.weight"].Data, c.Parameters["layer2.0.conv1.weight"].Data);
        // Kaiming-normal fan_out: std = sqrt(2 / (K·3·3)) = sqrt(2/288) for a 32-filter 3×3 conv.
        var w = a.Parameters["layer2.0.conv1.weight"].Data;
        double std = Math.Sqrt(w.Sum(v => (double)v * v) / w.Length);
        Assert.InRange(std, 0.9 * Math.Sqrt(2.0 / 288), 1.1 * Math.Sqrt(2.0 / 288));
    }

    [Fact]
    public void RepeatedForwardsReuseActivationMemory()
    {
        using var kernels = new CpuKernels();
        using var model = ModelZoo.Create("resnet18", inputSize: 64);
        using var input = Tensor.FromHost(kernels, RandomData.Uniform(new Random(2), 2 * 3 * 64 * 64), 2, 3, 64, 64);
        using var first = model.Forward(input, SearchMode.Qat);
        long pooled = model.PooledActivationFloats;
        using var second = model.Forward(input, SearchMode.Qat);
        Assert.Equal(pooled, model.PooledActivationFloats);
        Assert.Equal(first.ToArray(), second.ToArray());
        // Far less than one buffer per layer: the largest activation is 2×64×32×32.
        Assert.True(pooled < 8L * 2 * 64 * 32 * 32, $"pool holds {pooled} floats");
    }

    [Fact]
    public void SmallResNetTakesColourImages()
    {
        using var model = ModelZoo.Create("resnet20", inputSize: 32, channels: 3, classes: 100);
        Assert.Equal((3, 32, 32), model.InputShape);
        Assert.Equal(new[] { 100 }, model.OutputShape);
        Assert.Equal(64L * 8 * 8, model.Units(SearchMode.Qat)[^1].FeatureSize);
        Assert.Equal(16L * 3 * 9 + 32, model.Fixed(SearchMode.Qat).Params - (64L * 100 + 100));
    }

    [Fact]
    public void WrongInputChannelsAreRejected()
    {
        using var kernels = new CpuKernels();
        using var model = ModelZoo.Create("resnet20");
        using var input = Tensor.Allocate(kernels, 1, 3, 28, 28);
        var e = Assert.Throws<Ompq.Runtime.InvalidInputException>(() => model.Forward(input, SearchMode.Qat));
        Assert.Contains("N×1×H×W", e.Message);
    }
}
