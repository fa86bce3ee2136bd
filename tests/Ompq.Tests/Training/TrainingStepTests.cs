using Ompq.Kernels;
using Ompq.Kernels.Cpu;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Tensors;
using Ompq.Runtime.Training;

namespace Ompq.Tests.Training;

/// <summary>
/// One whole training step of the zoo models (forward with batch statistics, softmax cross-entropy, backward) against
/// TorchSharp autograd on the same weights and batch: logits, loss, every parameter gradient and every running
/// statistic. Tolerance: each tensor's error norm within 2e-3 of its reference norm (fp32 through ~20 layers
/// of batch-norm, whose backward subtracts nearly equal sums), logits within 1e-4.
/// </summary>
public sealed class TrainingStepTests
{
    public static IEnumerable<object[]> Models => new[]
    {
        new object[] { "resnet20", 12, 4 },
        // 64² keeps the last stage at 2×2, so its batch statistics average 8 values: at 1×1 with two images a
        // batch-norm divides by the gap between two nearly equal numbers and amplifies fp32 rounding without bound.
        new object[] { "resnet18", 64, 2 },
        new object[] { "mobilenet_v2", 64, 2 },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void MatchesTorchAutograd(string name, int size, int batch)
    {
        using var kernels = new CpuKernels();
        RunStep(kernels, name, size, batch);
    }

    /// <param name="weightBits">Per-layer bit-widths of fake-quantized weights (quantization-aware training), or null.</param>
    internal static void RunStep(IKernels kernels, string name, int size, int batch,
        Func<GraphModel, IReadOnlyDictionary<string, int>>? weightBits = null)
    {
        using var model = ModelZoo.Create(name, size, seed: 3, classes: 10);
        var bits = weightBits?.Invoke(model);
        RandomizeBatchNorms(model, seed: 5);
        var (c, h, w) = model.InputShape;
        var rng = new Random(7);
        var images = Reference.RandomData.Uniform(rng, (long)batch * c * h * w);
        var labels = Enumerable.Range(0, batch).Select(_ => rng.Next(10)).ToArray();

        using var reference = new TorchGraphReference(model, bits);
        var (expectedLogits, expectedLoss) = reference.Step(images, new long[] { batch, c, h, w }, labels.Select(l => (long)l).ToArray());

        using var executor = new TrainingExecutor(model, kernels);
        executor.SetWeightBits(bits);
        using var input = Tensor.FromHost(kernels, images, batch, c, h, w);
        using var labelBuffer = kernels.Allocate(batch);
        kernels.Upload(labels.Select(l => (float)l).ToArray(), labelBuffer);
        var logits = executor.Forward(input);
        var flat = logits.Reshape(batch, 10);
        using var losses = kernels.Allocate(batch);
        using var gradient = Tensor.Allocate(kernels, batch, 10);
        kernels.SoftmaxCrossEntropy(batch, 10, flat.Data, labelBuffer, losses, gradient.Data);
        var actualLogits = flat.ToArray();
        var lossValues = new float[batch];
        kernels.Download(losses, lossValues);
        executor.Backward(gradient.Reshape(logits.Shape));
        kernels.Synchronize();

        AssertNormClose(expectedLogits, actualLogits, 1e-4, $"{name} logits");
        // An absolute tolerance, not "4 decimal places": rounding both to 4 places fails a 1e-6 difference whenever the
        // loss lies next to a rounding boundary (2.43704915 vs 2.43705058 once the convolution's summation order changed).
        Assert.Equal(expectedLoss, lossValues.Average(), 5e-5);
        int checkedGradients = 0;
        foreach (var p in executor.Parameters.All)
        {
            var actual = new float[p.Length];
            if (p.IsTrainable)
            {
                kernels.Download(p.Gradient!, actual);
                AssertNormClose(reference.Gradient(p.Name), actual, 2e-3, $"{name} gradient of {p.Name}");
                checkedGradients++;
            }
            else
            {
                kernels.Download(p.Value, actual);
                AssertNormClose(reference.Value(p.Name), actual, 1e-4, $"{name} running statistic {p.Name}");
            }
        }
        Assert.Equal(model.Graph.Nodes.Sum(n => n.TrainableParameterNames.Count()), checkedGradients);
    }

    private static void AssertNormClose(float[] expected, float[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double error = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            error += Math.Pow((double)actual[i] - expected[i], 2);
            norm += (double)expected[i] * expected[i];
        }
        // The floor covers gradients that are zero in exact arithmetic (a batch-norm shift feeding a 1×1 conv and
        // another batch-norm, which removes any per-channel constant): both sides are then fp32 noise near 1e-6.
        double relative = Math.Sqrt(error) / Math.Max(Math.Sqrt(norm), 1e-6);
        Assert.True(relative <= tolerance || Math.Sqrt(error) <= 1e-5,
            $"{what}: relative error norm {relative:G3} > {tolerance} (reference norm {Math.Sqrt(norm):G3})");
    }

    /// <summary>Non-trivial batch-norm affine parameters and running statistics, so their gradients and updates are tested.</summary>
    internal static void RandomizeBatchNorms(GraphModel model, int seed)
    {
        var rng = new Random(seed);
        foreach (var name in model.Parameters.Names)
        {
            var data = model.Parameters[name].Data;
            bool bn = model.Graph.Nodes.OfType<ConvNode>().Any(c => c.BatchNorm is { } b && b.Names.Contains(name));
            if (!bn) continue;
            for (int i = 0; i < data.Length; i++)
                data[i] = name.EndsWith(".running_var") || name.EndsWith(".weight") ? 0.5f + (float)rng.NextDouble() : (float)(rng.NextDouble() - 0.5) * 0.4f;
        }
        model.Parameters.MarkChanged();
    }
}
