using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Ompq.Runtime.Export;
using Ompq.Runtime.Inference;
using Ompq.Tests.Io;
using Ompq.Tests.Training;
using Xunit.Abstractions;

namespace Ompq.Tests.Inference;

/// <summary>
/// ONNX Runtime loads the exported QDQ model and its outputs match our fake-quant forward. Tolerance: ONNX Runtime fuses
/// Q/DQ pairs into its int8 kernels, which round the bias to the int32 grid input·weight scale and may round a tie the
/// other way; measured differences stay within 2 % of the largest logit and the predicted class agrees on ≥ 95 %.
/// </summary>
public sealed class OnnxQdqExportTests(ITestOutputHelper output)
{
    private static float[] RunOnnx(byte[] model, float[] images, int count, (int C, int H, int W) shape, bool optimize = true)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = optimize ? GraphOptimizationLevel.ORT_ENABLE_ALL : GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 2 };
        using var session = new InferenceSession(model, options);
        var input = new DenseTensor<float>(images, new[] { count, shape.C, shape.H, shape.W });
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.Single(), input) });
        return results.Single().AsEnumerable<float>().ToArray();
    }

    private void Compare(float[] expected, float[] actual, int classes, double tolerance, double agreement, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxDiff = 0, maxAbs = 0;
        int agree = 0, count = expected.Length / classes;
        var a = new int[1];
        var b = new int[1];
        for (int i = 0; i < count; i++)
        {
            QuantizedModel.TopK(expected.AsSpan(i * classes, classes), a);
            QuantizedModel.TopK(actual.AsSpan(i * classes, classes), b);
            if (a[0] == b[0]) agree++;
        }
        for (int i = 0; i < expected.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(expected[i] - actual[i]));
            maxAbs = Math.Max(maxAbs, Math.Abs(expected[i]));
        }
        output.WriteLine($"{what}: max |onnxruntime − fake-quant| = {maxDiff:G4} (max |logit| {maxAbs:G4}), top-1 agreement {agree}/{count}");
        Assert.True(maxDiff <= tolerance * maxAbs, $"{what}: max difference {maxDiff} exceeds {tolerance:P0} of {maxAbs}");
        Assert.True(agree >= agreement * count, $"{what}: top-1 agrees on {agree}/{count}");
    }

    [Fact]
    public void OddNetworkRunsInOnnxRuntimeAsTheFakeQuantForward()
    {
        var network = OddNetwork.Create(seed: 4, bits: i => 3 + i);
        const int count = 8;
        var images = TestNetworks.Images(new OddNetwork.RandomImages(count, (3, 11, 11), seed: 9), count);
        var expected = TestNetworks.ReferenceLogits(network, images, count);
        var onnx = OnnxQdqExport.ToBytes(network);
        Compare(expected, RunOnnx(onnx, images, count, network.InputShape, optimize: false), 3, 0.02, 0.95, "odd network, no optimization");
        Compare(expected, RunOnnx(onnx, images, count, network.InputShape), 3, 0.02, 0.95, "odd network");
    }

    [Fact]
    public void Resnet20RunsInOnnxRuntimeAsTheFakeQuantForward()
    {
        var network = TestNetworks.Resnet20(seed: 3, bits: i => 2 + i % 7);
        const int count = 64;
        var images = TestNetworks.Images(new SyntheticLabelledImages(count, 10, 28, seed: 11), count);
        var expected = TestNetworks.ReferenceLogits(network, images, count);
        Compare(expected, RunOnnx(OnnxQdqExport.ToBytes(network), images, count, network.InputShape), 10, 0.02, 0.95, "resnet20");
    }

    [SkippableFact]
    public void PretrainedResnet18RunsInOnnxRuntimeAsTheFakeQuantForward()
    {
        Skip.IfNot(File.Exists(OnnxTestModels.ResNet18Path), "the pretrained ResNet-18 ONNX is not in the NuGet cache");
        using var imported = Ompq.Runtime.Io.ModelFiles.Open(OnnxTestModels.ResNet18Path);
        using var folded = imported.FoldBatchNorm();
        var (c, h, w) = folded.InputShape;
        var calibration = new Ompq.Host.Data.SyntheticImages(4, (c, h, w), seed: 2);
        var network = TestNetworks.Calibrated(folded, _ => 8, 8, calibration);
        const int count = 2;
        var images = TestNetworks.Images(new Ompq.Host.Data.SyntheticImages(count, (c, h, w), seed: 3), count);
        var expected = TestNetworks.ReferenceLogits(network, images, count);
        int outputs = expected.Length / count;
        Compare(expected, RunOnnx(OnnxQdqExport.ToBytes(network), images, count, network.InputShape), outputs, 0.02, 0.5, "ResNet-18");
    }
}
