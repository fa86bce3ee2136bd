using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Ompq.Kernels;
using Ompq.Kernels.Cpu;
using Ompq.Runtime;
using Ompq.Runtime.Io.Onnx;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Tests.Nn;
using Ompq.Tests.Reference;
using Xunit.Abstractions;

namespace Ompq.Tests.Io;

/// <summary>ONNX import: the pretrained CNTK ResNet-18 featurizer against ONNX Runtime, units, and bad graphs.</summary>
public sealed class OnnxImporterTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly string _dir = Directory.CreateTempSubdirectory("ompq-onnx-").FullName;

    public OnnxImporterTests(ITestOutputHelper output) => _output = output;

    private static float[] RunOnnxRuntime(byte[] modelBytes, float[] input, int[] shape)
    {
        using var session = new InferenceSession(modelBytes);
        string inputName = session.InputMetadata.Keys.Single();
        var tensor = new DenseTensor<float>(input, shape);
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(inputName, tensor) });
        return results.First().AsEnumerable<float>().ToArray();
    }

    [Fact]
    public void PretrainedResNet18MatchesOnnxRuntime()
    {
        string path = OnnxTestModels.ResNet18Path;
        using var model = OnnxImporter.Load(path);
        Assert.Equal((3, 224, 224), model.InputShape);
        Assert.Equal(new[] { 512, 1, 1 }, model.OutputShape);

        // BGR 0–255 minus the per-channel mean: values around ±128.
        var input = RandomData.Uniform(new Random(21), 3 * 224 * 224, -128f, 128f);
        var expected = RunOnnxRuntime(File.ReadAllBytes(path), input, new[] { 1, 3, 224, 224 });
        using var kernels = new CpuKernels();
        var actual = TorchModelFixtures.OurForward(kernels, model, input, new[] { 1, 3, 224, 224 });
        double error = TorchModelFixtures.RelativeMaxError(actual, expected);
        _output.WriteLine($"ResNet18.onnx vs ONNX Runtime: max|diff|/max|ref| = {error:E2}, max|ref| = {expected.Max(Math.Abs):F3}");
        Assert.True(error <= 1e-4, $"relative max error {error:E2}");
    }

    [Fact]
    public void PretrainedResNet18UnitsAreDetected()
    {
        using var model = OnnxImporter.Load(OnnxTestModels.ResNet18Path);
        var qat = model.Units(SearchMode.Qat);
        var ptq = model.Units(SearchMode.Ptq);
        // CNTK's ResNet-18 has 9 basic blocks (22 convs, 9 adds): its last stage has three blocks.
        Assert.Equal(22, model.WeightLayers.Count());
        Assert.Equal(9, model.Graph.Nodes.Count(n => n is AddNode));
        Assert.Equal(18, qat.Count);
        Assert.Equal(19, ptq.Count); // stem + 18; the featurizer has no classifier
        Assert.Equal(new[] { "ReLU261_Output_0", "ReLU269_Output_0", "ReLU275_Output_0", "ReLU283_Output_0" }, qat.Take(4).Select(u => u.Name));
        Assert.Equal(new[] { "Convolution249" }, model.Fixed(SearchMode.Qat).Layers);
        Assert.Equal(8, ptq[0].FixedBits);
        // Up to its extra block the structure is torchvision's resnet18: the first 16 units must agree one to one.
        using var zoo = ModelZoo.Create("resnet18");
        Assert.Equal(zoo.Units(SearchMode.Qat).Select(u => u.Params), qat.Take(16).Select(u => u.Params));
        Assert.Equal(zoo.Units(SearchMode.Qat).Select(u => u.Macs), qat.Take(16).Select(u => u.Macs));
        Assert.Equal(zoo.Units(SearchMode.Qat).Select(u => u.FeatureSize), qat.Take(16).Select(u => u.FeatureSize));
        Assert.Equal(512L * 7 * 7, qat[^1].FeatureSize);
        var downsample = qat.Single(u => u.Name == "ReLU301_Output_0");
        Assert.Equal(2, downsample.Layers.Count);
    }

    [Fact]
    public void TinyConvReluGraphMatchesOnnxRuntime()
    {
        var bytes = OnnxTestModels.ConvThen("Relu");
        string path = Path.Combine(_dir, "tiny.onnx");
        File.WriteAllBytes(path, bytes);
        using var model = OnnxImporter.Load(path);
        var conv = Assert.IsType<ConvNode>(Assert.Single(model.Graph.Nodes));
        Assert.Equal(Activation.Relu, conv.Activation);
        var input = RandomData.Uniform(new Random(4), 2 * 16);
        var expected = RunOnnxRuntime(bytes, input, new[] { 1, 2, 4, 4 });
        using var kernels = new CpuKernels();
        var actual = TorchModelFixtures.OurForward(kernels, model, input, new[] { 1, 2, 4, 4 });
        Assert.True(TorchModelFixtures.RelativeMaxError(actual, expected) <= 1e-5);
    }

    /// <summary>A two-block residual net with Gemm head, Clip(0, 6), pooling and a symbolic batch, built by hand.</summary>
    private static byte[] SmallResidualNet()
    {
        var b = new OnnxGraphBuilder(seed: 8);
        b.Input("image", -1, 3, 8, 8);
        b.Node("Relu", "stem.relu", new[] { b.ConvBn("stem", "image", 3, 8, 3, 1, 1) }, new[] { "s" });
        b.Node("Relu", "a.relu", new[] { b.ConvBn("a", "s", 8, 8, 3, 1, 1) }, new[] { "a" });
        string bOut = b.ConvBn("b", "a", 8, 8, 3, 1, 1);
        b.Node("Add", "add1", new[] { bOut, "s" }, new[] { "sum1" });
        b.Node("Relu", "block1.relu", new[] { "sum1" }, new[] { "block1" });
        string zero = b.Initializer("zero", Array.Empty<long>(), new[] { 0f });
        string six = b.Initializer("six", Array.Empty<long>(), new[] { 6f });
        b.Node("Clip", "c.clip", new[] { b.ConvBn("c", "block1", 8, 16, 3, 2, 1), zero, six }, new[] { "c" });
        string dOut = b.ConvBn("d", "c", 16, 16, 3, 1, 1);
        string eOut = b.ConvBn("e", "block1", 8, 16, 1, 2, 0);
        b.Node("Add", "add2", new[] { dOut, eOut }, new[] { "sum2" });
        b.Node("Relu", "block2.relu", new[] { "sum2" }, new[] { "block2" });
        b.Node("AveragePool", "avg", new[] { "block2" }, new[] { "pooled" },
            OnnxGraphBuilder.All(OnnxGraphBuilder.Ints("kernel_shape", 2, 2), OnnxGraphBuilder.Ints("strides", 2, 2)));
        b.Node("GlobalAveragePool", "gap", new[] { "pooled" }, new[] { "gap" });
        b.Node("Flatten", "flatten", new[] { "gap" }, new[] { "flat" });
        string w = b.Random("fc.w", new long[] { 5, 16 }, -0.5f, 0.5f);
        string bias = b.Random("fc.b", new long[] { 5 }, -0.5f, 0.5f);
        b.Node("Gemm", "fc", new[] { "flat", w, bias }, new[] { "logits" }, OnnxGraphBuilder.Int("transB", 1));
        b.Output("logits", -1, 5);
        return b.Build();
    }

    [Fact]
    public void HandBuiltResidualNetMatchesOnnxRuntimeAndHasUnits()
    {
        var bytes = SmallResidualNet();
        string path = Path.Combine(_dir, "small.onnx");
        File.WriteAllBytes(path, bytes);
        using var model = OnnxImporter.Load(path);
        // Conv+BN(+activation) fused: 6 convs, 2 adds, avg pool, GAP, flatten, linear.
        Assert.Equal(12, model.Graph.Nodes.Count);
        Assert.Equal(Activation.Relu6, model.Graph.Nodes.OfType<ConvNode>().Single(c => c.Name == "c").Activation);

        var qat = model.Units(SearchMode.Qat);
        Assert.Equal(new[] { "a", "block1", "c", "block2" }, qat.Select(u => u.Name));
        Assert.Equal(new[] { "d", "e" }, qat[3].Layers);
        Assert.Equal(16L * 16 * 9 + 16 + 2 * 16 + 16L * 8 + 16 + 2 * 16, qat[3].Params);
        Assert.Equal(new[] { "stem", "fc" }, model.Fixed(SearchMode.Qat).Layers);
        var ptq = model.Units(SearchMode.Ptq);
        Assert.Equal(new[] { "s", "a", "block1", "c", "block2", "logits" }, ptq.Select(u => u.Name));
        Assert.Equal(8, ptq[^1].FixedBits);
        Assert.Equal(5L, ptq[^1].FeatureSize);

        var input = RandomData.Uniform(new Random(9), 3 * 3 * 8 * 8);
        var expected = RunOnnxRuntime(bytes, input, new[] { 3, 3, 8, 8 });
        using var kernels = new CpuKernels();
        var actual = TorchModelFixtures.OurForward(kernels, model, input, new[] { 3, 3, 8, 8 });
        double error = TorchModelFixtures.RelativeMaxError(actual, expected);
        _output.WriteLine($"hand-built residual net vs ONNX Runtime: {error:E2}");
        Assert.True(error <= 1e-5, $"relative max error {error:E2}");
    }

    [Fact]
    public void UnsupportedOperatorIsNamed()
    {
        string path = Path.Combine(_dir, "softmax.onnx");
        File.WriteAllBytes(path, OnnxTestModels.ConvThen("Softmax"));
        var e = Assert.Throws<InvalidInputException>(() => OnnxImporter.Load(path));
        Assert.StartsWith($"{path}: node 'second0' (Softmax): operator Softmax is not supported", e.Message);
    }

    [Fact]
    public void ClipOtherThanRelu6IsRejected()
    {
        string path = Path.Combine(_dir, "clip.onnx");
        File.WriteAllBytes(path, OnnxTestModels.ConvThen("Clip", n => n.Message(5, a => { a.String(1, "max"); a.Float(2, 4f); a.Varint(20, 1); })));
        var e = Assert.Throws<InvalidInputException>(() => OnnxImporter.Load(path));
        Assert.Contains("node 'second0' (Clip)", e.Message);
    }

    [Fact]
    public void PaddingOnlyAtTheEndIsRejected()
    {
        string path = Path.Combine(_dir, "pads.onnx");
        File.WriteAllBytes(path, OnnxTestModels.ConvThen("Relu", pads: new long[] { 0, 0, 2, 2 }));
        var e = Assert.Throws<InvalidInputException>(() => OnnxImporter.Load(path));
        Assert.Contains("node 'conv0' (Conv): asymmetric height padding (0 before, 2 after)", e.Message);
    }

    [Fact]
    public void TruncatedModelIsRejected()
    {
        var bytes = File.ReadAllBytes(OnnxTestModels.ResNet18Path);
        string path = Path.Combine(_dir, "cut.onnx");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 3)]);
        var e = Assert.Throws<InvalidInputException>(() => OnnxImporter.Load(path));
        Assert.StartsWith($"{path}: not a valid ONNX model", e.Message);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
