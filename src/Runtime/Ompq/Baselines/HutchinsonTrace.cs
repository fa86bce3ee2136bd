using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Search.Baselines;

/// <summary>Tr(H_i) of one block of weights with the standard error of the mean over the probes.</summary>
public sealed record TraceEstimate(double Trace, double StdError, long Weights);

/// <summary>
/// Hutchinson's estimate of the Hessian trace of the mean cross-entropy over a labelled batch, per block of weights
/// (a quantization unit's conv/linear weights): Tr(H_i) = E[v_iᵀ H_ii v_i] for Rademacher v (entries ±1), averaged
/// over the probes, with the standard error of that mean. The products v_iᵀ H_ii v_i come from central differences
/// (<see cref="HessianEstimator"/>); each block's step is scaled to its own weights, ε_i = ρ·‖W_i‖/√n_i, so a probe
/// moves the block by ρ·‖W_i‖ whatever its size. The model's parameters end exactly as they were (weights and
/// batch-norm running statistics).
/// </summary>
public static class HutchinsonTrace
{
    /// <param name="images">N×C×H×W, on the backend the passes run on.</param>
    /// <param name="labels">N class indices (the loss's; the output-difference estimator's Hessian does not depend on them).</param>
    /// <param name="blocks">Per block, the weight layers (conv or linear nodes) it covers.</param>
    /// <param name="onProbe">Called with (probes done, probes) after each probe.</param>
    public static TraceEstimate[] Estimate(GraphModel model, Tensor images, IReadOnlyList<int> labels, IReadOnlyList<IReadOnlyList<string>> blocks,
        HessianOptions options, Action<int, int>? onProbe = null)
    {
        options.Validate();
        int n = images.Dim(0);
        if (labels.Count != n) throw new ArgumentException($"{labels.Count} labels for {n} images");
        int classes = ClassCount(model, images);
        foreach (int label in labels)
            if ((uint)label >= (uint)classes)
                throw new InvalidInputException($"label {label} is outside the model's {classes} classes 0..{classes - 1}");
        string[][] weights = blocks.Select(layers => layers.Select(layer => WeightName(model, layer)).ToArray()).ToArray();

        double[][] samples = options.Estimator == HessianEstimator.OutputDifference
            ? OutputDifferenceProbes.Run(model, images, weights, options, onProbe)
            : GradientDifferenceProbes.Run(model, images, labels, classes, weights, options, onProbe);
        return samples.Select((s, b) => Summarise(s, weights[b].Sum(name => model.Parameters[name].Size))).ToArray();
    }

    internal static int ClassCount(GraphModel model, Tensor images)
    {
        var (c, h, w) = (images.Dim(1), images.Dim(2), images.Dim(3));
        return (int)HostTensor.ElementCount(model.Graph.InferShapes(new[] { c, h, w }, model.Parameters)[model.Graph.OutputId]);
    }

    private static string WeightName(GraphModel model, string layer)
        => model.Graph.TryGetNode(layer, out var node) && node is WeightLayerNode weighted
            ? weighted.WeightName
            : throw new ArgumentException($"'{layer}' is not a conv or linear layer of model '{model.Name}'");

    /// <summary>ε = ρ·‖W‖/√n: the probe (norm √n) then moves the block by ρ·‖W‖; a block of zeros moves by ρ per weight.</summary>
    internal static double Step(IEnumerable<float[]> block, double relative)
    {
        double squares = 0;
        long count = 0;
        foreach (float[] w in block)
        {
            foreach (float x in w) squares += (double)x * x;
            count += w.Length;
        }
        double rms = Math.Sqrt(squares / Math.Max(count, 1));
        return relative * (rms > 0 ? rms : 1.0);
    }

    /// <summary>Rademacher entries (true = +1) from whole 64-bit draws, one bit each, in parameter/element order.</summary>
    internal static void DrawSigns(Random rng, bool[][] block)
    {
        foreach (bool[] s in block)
            for (int j = 0; j < s.Length; j += 64)
            {
                ulong bits = (ulong)rng.NextInt64() ^ ((ulong)rng.Next(2) << 63); // NextInt64 gives 63 random bits
                for (int k = 0; k < 64 && j + k < s.Length; k++) s[j + k] = ((bits >> k) & 1) != 0;
            }
    }

    /// <summary>w + direction·ε·v into <paramref name="moved"/>, rounded to fp32 once.</summary>
    internal static void Move(float[] w, bool[] signs, double direction, double step, float[] moved)
    {
        double delta = direction * step;
        for (int j = 0; j < w.Length; j++) moved[j] = (float)(w[j] + (signs[j] ? delta : -delta));
    }

    private static TraceEstimate Summarise(double[] samples, long weights)
    {
        double mean = samples.Average();
        double squares = samples.Sum(x => (x - mean) * (x - mean));
        double stdError = Math.Sqrt(squares / (samples.Length - 1) / samples.Length);
        return new TraceEstimate(mean, stdError, weights);
    }
}
