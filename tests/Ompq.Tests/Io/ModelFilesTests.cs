using Ompq.Runtime;
using Ompq.Runtime.Io;
using Ompq.Runtime.Nn;
using Ompq.Tests.Nn;

namespace Ompq.Tests.Io;

public sealed class ModelFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ompq-mf-").FullName;

    [Fact]
    public void OpensZooModelsWithWeightsAndRefreshesTheDeviceCopy()
    {
        using var source = ModelZoo.Create("resnet20", seed: 5);
        string path = Path.Combine(_dir, "w.safetensors");
        WeightLoader.SaveSafetensors(source, path);
        using var model = ModelFiles.Open("resnet20", path);
        Assert.Equal(source.Parameters["fc.weight"].Data, model.Parameters["fc.weight"].Data);

        using var kernels = new Ompq.Kernels.Cpu.CpuKernels();
        var input = Ompq.Tests.Reference.RandomData.Uniform(new Random(1), 28 * 28);
        var before = TorchModelFixtures.OurForward(kernels, model, input, new[] { 1, 1, 28, 28 });
        // Editing a parameter must reach the next forward (weights are re-folded and re-uploaded).
        var bias = model.Parameters["fc.bias"].Data.Select(v => v + 1f).ToArray();
        model.Parameters.SetValues("fc.bias", bias);
        var after = TorchModelFixtures.OurForward(kernels, model, input, new[] { 1, 1, 28, 28 });
        for (int i = 0; i < before.Length; i++) Assert.Equal(before[i] + 1f, after[i], 4);
    }

    [Fact]
    public void RejectsUnknownNamesAndWeightsForOnnx()
    {
        var e = Assert.Throws<InvalidInputException>(() => ModelFiles.Open("vgg16"));
        Assert.Contains("unknown model 'vgg16'", e.Message);
        e = Assert.Throws<InvalidInputException>(() => ModelFiles.Open("x.onnx", "w.safetensors"));
        Assert.Contains("carries its own weights", e.Message);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
