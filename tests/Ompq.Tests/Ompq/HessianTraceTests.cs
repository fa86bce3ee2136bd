using Ompq.Benchmarking;
using Ompq.Kernels.Cpu;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Nn.Models;
using Ompq.Runtime.Search.Baselines;
using Tensor = Ompq.Runtime.Tensors.Tensor;
using Ompq.Tests.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Ompq.Tests.Search;

/// <summary>
/// The Hutchinson traces of the Hessian baseline against the exact traces: TorchSharp double backward gives every
/// diagonal entry of each unit's Hessian block (one Hessian-vector product per weight, e_jᵀ H e_j) on a small ResNet
/// (2 and 4 channels, one block per stage, 8×8 images, random batch-norm statistics) with the same weights and batch,
/// with batch-norm in each estimator's mode: running statistics for output differences, batch statistics for
/// gradient differences. Each estimate must lie within 4 of its own standard errors of the exact trace.
/// </summary>
public sealed class HessianTraceTests
{
    private const int Images = 8;

    internal static GraphModel TinyResNet(int seed)
    {
        var model = ResNetBuilder.Build(new ResNetBuilder.Config("tiny-resnet", false, [1, 1], [2, 4], false, 1, 10), inputSize: 8, seed);
        TrainingStepTests.RandomizeBatchNorms(model, seed + 1);
        return model;
    }

    internal static (float[] Images, int[] Labels) Batch(GraphModel model, int seed)
    {
        var (c, h, w) = model.InputShape;
        var rng = new Random(seed);
        return (Reference.RandomData.Uniform(rng, (long)Images * c * h * w), Enumerable.Range(0, Images).Select(_ => rng.Next(10)).ToArray());
    }

    [Theory]
    [InlineData(HessianEstimator.OutputDifference)]
    [InlineData(HessianEstimator.GradientDifference)]
    public void HutchinsonMatchesExactTraceWithinItsStandardError(HessianEstimator estimator)
    {
        using var model = TinyResNet(seed: 21);
        var (images, labels) = Batch(model, seed: 22);
        var units = model.Units(SearchMode.Qat);
        double[] exact = ExactTraces(model, images, labels, units, batchStatistics: estimator == HessianEstimator.GradientDifference);

        using var kernels = new CpuKernels();
        var (c, h, w) = model.InputShape;
        using var input = Tensor.FromHost(kernels, images, Images, c, h, w);
        var before = model.Parameters.Names.ToDictionary(n => n, n => model.Parameters[n].Data.ToArray());
        var estimates = HutchinsonTrace.Estimate(model, input, labels, units.Select(u => u.Layers).ToArray(),
            new HessianOptions(Probes: 300, estimator, Seed: 5));

        for (int i = 0; i < units.Count; i++)
        {
            var e = estimates[i];
            string what = $"{units[i].Name}: Hutchinson {e.Trace:G6} ± {e.StdError:G3}, exact {exact[i]:G6}";
            Assert.True(e.StdError > 0, $"{what}: no spread over the probes");
            // 4 standard errors: a chance failure has probability ~6e-5 per unit; the finite-difference error is far below.
            Assert.True(Math.Abs(e.Trace - exact[i]) <= 4 * e.StdError, what);
            // The bound must be tight enough to mean something: at most a third of the largest trace.
            Assert.True(e.StdError <= exact.Max(Math.Abs) / 3, $"{what}: the standard error is too large to test against");
        }
        // Weights and running statistics are left exactly as they were.
        foreach (var (name, data) in before) Assert.Equal(data, model.Parameters[name].Data);
    }

    /// <summary>Σ_j ∂²L/∂w_j² over each unit's weights by double backward in TorchSharp (mean cross-entropy).</summary>
    internal static double[] ExactTraces(GraphModel model, float[] images, int[] labels, IReadOnlyList<QuantUnit> units, bool batchStatistics)
    {
        // Hundreds of tiny double-backward passes: libtorch's worker threads only add overhead (and spin against other
        // processes on a loaded machine), so they run on one thread and the setting is put back.
        int threads = torch.get_num_threads();
        torch.set_num_threads(1);
        try
        {
            using var scope = torch.NewDisposeScope();
            using var network = new TorchGraphNetwork(model, batchStatistics: batchStatistics);
            var (c, h, w) = model.InputShape;
            var logits = network.Forward(torch.tensor(images, new long[] { labels.Length, c, h, w }));
            var loss = nn.functional.cross_entropy(logits, torch.tensor(labels.Select(l => (long)l).ToArray()));
            var traces = new double[units.Count];
            for (int i = 0; i < units.Count; i++)
            {
                var weights = units[i].Layers.Select(layer => network.Tensors[((WeightLayerNode)model.Graph.Node(layer)).WeightName]).ToArray();
                var gradients = torch.autograd.grad(new[] { loss }, weights, create_graph: true, retain_graph: true);
                for (int p = 0; p < weights.Length; p++)
                {
                    var flat = gradients[p].flatten();
                    for (long j = 0; j < flat.shape[0]; j++)
                    {
                        using var inner = torch.NewDisposeScope();
                        var row = torch.autograd.grad(new[] { flat[j] }, new[] { weights[p] }, retain_graph: true)[0];
                        traces[i] += row.flatten()[j].item<float>();
                    }
                }
            }
            return traces;
        }
        finally
        {
            torch.set_num_threads(threads);
        }
    }
}
