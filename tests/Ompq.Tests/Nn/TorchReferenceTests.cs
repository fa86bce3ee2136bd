using Ompq.Kernels.Cpu;
using Ompq.Runtime.Io;
using Ompq.Runtime.Nn;
using Ompq.Tests.Reference;
using TorchSharp;
using TorchSharp.PyBridge;
using Xunit.Abstractions;
using TorchModule = TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>;

namespace Ompq.Tests.Nn;

/// <summary>
/// Our models against TorchSharp's torchvision models (random init, random BN statistics, eval mode): the state dict
/// goes through a file (PyTorch zip or safetensors, written by TorchSharp.PyBridge), logits must agree to
/// max|ours − torch| ≤ 1e-4 · max|torch|.
/// </summary>
public sealed class TorchReferenceTests : IDisposable
{
    private const double Tolerance = 1e-4;
    private readonly ITestOutputHelper _output;
    private readonly string _dir = Directory.CreateTempSubdirectory("ompq-models-").FullName;
    private readonly CpuKernels _kernels = new();

    public TorchReferenceTests(ITestOutputHelper output) => _output = output;

    public static TheoryData<string, string, int, int> Cases => new()
    {
        { "resnet18", "pt", 64, 2 },
        { "resnet18", "safetensors", 64, 2 },
        { "mobilenet_v2", "pt", 64, 2 },
        { "mobilenet_v2", "safetensors", 64, 2 },
        { "resnet50", "pt", 64, 1 },
        { "resnet20", "pt", 28, 4 },
        { "resnet20", "safetensors", 28, 4 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void LogitsMatchTorchSharp(string name, string format, int size, int batch)
    {
        using TorchModule reference = name switch
        {
            "resnet18" => torchvision.models.resnet18(),
            "resnet50" => torchvision.models.resnet50(),
            "mobilenet_v2" => torchvision.models.mobilenet_v2(),
            "resnet20" => new TorchResNet20(),
            _ => throw new ArgumentException(name),
        };
        TorchModelFixtures.RandomizeBatchNorms(reference, seed: 5);
        string path = Path.Combine(_dir, $"{name}.{format}");
        if (format == "pt") reference.save_py(path);
        else reference.save_safetensors(path);

        using var model = ModelZoo.Create(name, inputSize: size, seed: 99);
        WeightLoader.Load(model, path);

        int channels = model.InputShape.Channels;
        var input = RandomData.Uniform(new Random(11), (long)batch * channels * size * size, -2f, 2f);
        var expected = TorchModelFixtures.TorchForward(reference, input, new long[] { batch, channels, size, size });
        var actual = TorchModelFixtures.OurForward(_kernels, model, input, new[] { batch, channels, size, size });
        double error = TorchModelFixtures.RelativeMaxError(actual, expected);
        _output.WriteLine($"{name} via {format}: max|diff|/max|ref| = {error:E2} over {expected.Length} logits");
        Assert.True(error <= Tolerance, $"{name}: relative max error {error:E2} > {Tolerance:E0}");
    }

    [Fact]
    public void SafetensorsExportRoundTripsThroughTorchSharp()
    {
        using var model = ModelZoo.Create("resnet20", seed: 4);
        string path = Path.Combine(_dir, "export.safetensors");
        WeightLoader.SaveSafetensors(model, path);
        using var reference = new TorchResNet20();
        reference.load_safetensors(path, strict: true);

        var input = RandomData.Uniform(new Random(3), 2 * 28 * 28, -1f, 1f);
        var expected = TorchModelFixtures.TorchForward(reference, input, new long[] { 2, 1, 28, 28 });
        var actual = TorchModelFixtures.OurForward(_kernels, model, input, new[] { 2, 1, 28, 28 });
        double error = TorchModelFixtures.RelativeMaxError(actual, expected);
        _output.WriteLine($"export round trip: {error:E2}");
        Assert.True(error <= Tolerance, $"relative max error {error:E2}");
    }

    public void Dispose()
    {
        _kernels.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
