using System.Text.Json;
using Ompq.Host.Data;
using Ompq.Kernels;
using Ompq.Kernels.Cpu.Integer;
using Ompq.Runtime.Export;
using Ompq.Runtime.Inference;
using Ompq.Tests.Cli;
using Xunit.Abstractions;

namespace Ompq.Tests.Inference;

/// <summary>
/// resnet20 fine-tuned by `ompq qat` and exported: the integer forward on Fashion-MNIST test images equals the
/// fake-quant forward of the same checkpoint up to the documented rounding, on every integer path, and the verbs work
/// on it end to end.
/// </summary>
public sealed class QatModelTests(QatCheckpointFixture fixture, ITestOutputHelper output) : IClassFixture<QatCheckpointFixture>
{
    private const int Images = 300;

    /// <summary>
    /// Tolerance: identity shortcuts add the block input as the codes the next conv reads (the fake-quant forward adds
    /// it unquantized), a difference of at most half an input step per element that the following layers carry on;
    /// measured logit differences stay within 5 % of the largest logit, and the predicted class agrees on ≥ 97 %.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(IntegerForwardTests.Paths), MemberType = typeof(IntegerForwardTests))]
    public void IntegerForwardMatchesTheCheckpointsFakeQuantForward(IntegerIsa isa)
    {
        TrainCommandTests.SkipUnlessFashionMnist();
        var network = QuantizedModelFile.Read(fixture.Model!);
        var test = LabelledDataSets.Open("fashion-mnist", DataSplit.Test);
        var images = TestNetworks.Images(test, Images);

        // The reference is the checkpoint's own model (as `ompq eval` runs it), not one rebuilt from the export.
        var checkpoint = Ompq.Runtime.Training.TrainingCheckpoint.Load(fixture.Checkpoint!);
        using var kernels = new Ompq.Kernels.Cpu.CpuKernels();
        using var reference = checkpoint.CreateModel(fixture.Checkpoint!);
        using var input = Ompq.Runtime.Tensors.Tensor.FromHost(kernels, images, Images, 1, 28, 28);
        using var referenceOutput = reference.Forward(input, Ompq.Runtime.Nn.SearchMode.Qat);
        var expected = referenceOutput.ToArray();

        using var model = QuantizedModel.Create(network, new QuantizedModelOptions { Isa = isa, Threads = 2 });
        var logits = model.Predict(images);
        double maxDiff = 0, maxAbs = 0;
        int agree = 0;
        var top = new int[1];
        var expectedTop = new int[1];
        for (int i = 0; i < Images; i++)
        {
            QuantizedModel.TopK(logits.AsSpan(i * 10, 10), top);
            QuantizedModel.TopK(expected.AsSpan(i * 10, 10), expectedTop);
            if (top[0] == expectedTop[0]) agree++;
        }
        for (int i = 0; i < logits.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(logits[i] - expected[i]));
            maxAbs = Math.Max(maxAbs, Math.Abs(expected[i]));
        }
        output.WriteLine($"{isa}: max |int − fake-quant| = {maxDiff:G4} (max |logit| {maxAbs:G4}), top-1 agreement {agree}/{Images}");
        Assert.True(maxDiff <= 0.05 * maxAbs, $"max logit difference {maxDiff} exceeds 5 % of {maxAbs}");
        Assert.True(agree >= 0.97 * Images, $"top-1 agrees on {agree}/{Images}");
    }

    [SkippableFact]
    public void InferAndServeBenchRunTheExportedModel()
    {
        TrainCommandTests.SkipUnlessFashionMnist();
        var infer = CliRunner.Run("infer", "--model", fixture.Model!, "--data", "fashion-mnist", "--limit", "200", "--json");
        Assert.True(infer.ExitCode == 0, infer.Error);
        using var result = JsonDocument.Parse(infer.Out);
        double top1 = result.RootElement.GetProperty("top1").GetDouble();
        Assert.InRange(top1, 0.8, 1.0);
        Assert.Equal(200, result.RootElement.GetProperty("predictions").GetArrayLength());

        var bench = CliRunner.Run("serve-bench", "--model", fixture.Model!, "--clients", "2", "--seconds", "0.5", "--json");
        Assert.True(bench.ExitCode == 0, bench.Error);
        using var figures = JsonDocument.Parse(bench.Out);
        Assert.True(figures.RootElement.GetProperty("throughput").GetDouble() > 0);
        Assert.True(figures.RootElement.GetProperty("p50_ms").GetDouble() > 0);
        Assert.True(figures.RootElement.GetProperty("p99_ms").GetDouble() >= figures.RootElement.GetProperty("p50_ms").GetDouble());
    }

    [SkippableFact]
    public void AQuantizedCheckpointCarriesItsOwnBits()
    {
        TrainCommandTests.SkipUnlessFashionMnist();
        string dir = CliRunner.TempDir();
        string out_ = Path.Combine(dir, "m.safetensors");
        var run = CliRunner.Run("export", "--weights", fixture.Checkpoint!, "--uniform-bits", "4", "--out", out_);
        ExportCommandTests.AssertBadInput(run, out_);
        Assert.Contains("carries its own bits", run.Error);
    }

    [SkippableFact]
    public void ExportWritesAnOnnxModelThatOnnxRuntimeRunsAsTheIntegerModel()
    {
        TrainCommandTests.SkipUnlessFashionMnist();
        string dir = CliRunner.TempDir();
        string model = Path.Combine(dir, "m.safetensors"), onnx = Path.Combine(dir, "m.onnx");
        var run = CliRunner.Run("export", "--weights", fixture.Checkpoint!, "--out", model, "--onnx", onnx, "--json");
        Assert.True(run.ExitCode == 0, run.Error);
        const int count = 64;
        var images = TestNetworks.Images(LabelledDataSets.Open("fashion-mnist", DataSplit.Test), count);
        using var quantized = QuantizedModel.Load(model);
        var ours = quantized.Predict(images);
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(onnx);
        var input = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(images, new[] { count, 1, 28, 28 });
        using var results = session.Run(new[] { Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.Single(), input) });
        var theirs = results.Single().AsEnumerable<float>().ToArray();
        int agree = 0;
        var a = new int[1];
        var b = new int[1];
        for (int i = 0; i < count; i++)
        {
            QuantizedModel.TopK(ours.AsSpan(i * 10, 10), a);
            QuantizedModel.TopK(theirs.AsSpan(i * 10, 10), b);
            if (a[0] == b[0]) agree++;
        }
        output.WriteLine($"ONNX Runtime vs integer engine: top-1 agreement {agree}/{count}");
        Assert.True(agree >= 0.95 * count, $"top-1 agrees on {agree}/{count}");
    }
}
