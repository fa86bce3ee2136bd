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
