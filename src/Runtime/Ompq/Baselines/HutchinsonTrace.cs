using Ompq.Kernels;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Tensors;
using Ompq.Runtime.Training;

namespace Ompq.Runtime.Search.Baselines;

/// <summary>How the Hessian traces are estimated: probes, finite-difference step and the probes' seed.</summary>
/// <param name="Probes">Rademacher probes (each costs two forward + backward passes over the batch).</param>
/// <param name="RelativeStep">ρ: each unit's weights move by ρ·‖W_i‖ along the probe (ε_i = ρ·‖W_i‖/√n_i).</param>
public sealed record HessianOptions(int Probes = HessianOptions.DefaultProbes, double RelativeStep = HessianOptions.DefaultRelativeStep, int Seed = 0)
{
    public const int DefaultProbes = 16;
    public const int MaxProbes = 100_000;

    /// <summary>
    /// Small enough that the O(ε²) truncation of central differences is far below the probes' spread, large enough
    /// that the gradient difference stands well above fp32 rounding of the gradients.
    /// </summary>
    public const double DefaultRelativeStep = 1e-3;

    public void Validate()
    {
        if (Probes < 2 || Probes > MaxProbes)
            throw new InvalidInputException($"Hessian probes {Probes} is invalid: expected 2..{MaxProbes} (two at least, for a standard error)");
        if (!double.IsFinite(RelativeStep) || RelativeStep <= 0 || RelativeStep > 0.1)
            throw new InvalidInputException($"Hessian finite-difference step {RelativeStep} is invalid: expected a relative step in (0, 0.1]");
    }
}

/// <summary>Tr(H_i) of one block of weights with the standard error of the mean over the probes.</summary>
public sealed record TraceEstimate(double Trace, double StdError, long Weights);

/// <summary>
/// Hutchinson's estimate of the Hessian trace of the mean cross-entropy over a labelled batch, per block of weights
/// (a quantization unit's conv/linear weights): Tr(H_i) = E[v_iᵀ H_ii v_i] for Rademacher v (entries ±1).
/// Hessian-vector products are central differences of gradients from the training executor,
/// H v ≈ (g(w + εv) − g(w − εv)) / 2ε, exact for a quadratic and O(ε²) otherwise. All blocks are probed at once
/// (one gradient pair per probe for every block): the cross terms v_iᵀ H_ij v_j have mean zero, so each block's
/// estimate stays unbiased and their spread shows in the standard error. Each block's step is scaled to its own
/// weights (ε_i = ρ·‖W_i‖/√n_i) so that a small layer is not perturbed by a large one's step.
///
/// Batch-norm normalises with the batch's statistics (the executor differentiates training mode only); the running
/// statistics the training-mode forward updates live in this estimate's own device copy of the parameters, which
/// is discarded, so the model's parameters are left exactly as they were.
/// </summary>
public static class HutchinsonTrace
{
    /// <param name="images">N×C×H×W, on the backend the passes run on.</param>
    /// <param name="labels">N class indices.</param>
    /// <param name="blocks">Per block, the weight layers (conv or linear nodes) it covers.</param>
    /// <param name="onProbe">Called with (probes done, probes) after each probe.</param>
    public static TraceEstimate[] Estimate(GraphModel model, Tensor images, IReadOnlyList<int> labels, IReadOnlyList<IReadOnlyList<string>> blocks,
        HessianOptions options, Action<int, int>? onProbe = null)
    {
        options.Validate();
        int n = images.Dim(0);
        if (labels.Count != n) throw new ArgumentException($"{labels.Count} labels for {n} images");
        IKernels kernels = images.Kernels;
        using var executor = new TrainingExecutor(model, kernels) { Training = true };
        int classes = ClassCount(model, images);
        foreach (int label in labels)
            if ((uint)label >= (uint)classes)
                throw new InvalidInputException($"label {label} is outside the model's {classes} classes 0..{classes - 1}");

        DeviceParameter[][] weights = blocks.Select(layers => layers.Select(layer => WeightOf(model, executor, layer)).ToArray()).ToArray();
        float[][][] original = weights.Select(block => block.Select(p => model.Parameters[p.Name].Data.ToArray()).ToArray()).ToArray();
        double[] step = original.Select(block => Step(block, options.RelativeStep)).ToArray();
        long[] counts = weights.Select(block => block.Sum(p => p.Length)).ToArray();

        using var loss = new LossHead(kernels);
        using var labelBuffer = kernels.Allocate(n);
        kernels.Upload(labels.Select(l => (float)l).ToArray(), labelBuffer);
        int[] hostLabels = labels.ToArray();

        var rng = new Random(options.Seed);
        var signs = original.Select(block => block.Select(w => new bool[w.Length]).ToArray()).ToArray();
        var plus = original.Select(block => block.Select(w => new float[w.Length]).ToArray()).ToArray();
        var minus = original.Select(block => block.Select(w => new float[w.Length]).ToArray()).ToArray();
        var samples = new double[blocks.Count][];
        for (int b = 0; b < blocks.Count; b++) samples[b] = new double[options.Probes];

        for (int probe = 0; probe < options.Probes; probe++)
        {
            DrawSigns(rng, signs);
            Gradient(+1, plus);
            Gradient(-1, minus);
            for (int b = 0; b < blocks.Count; b++)
            {
                double dot = 0;
                for (int p = 0; p < signs[b].Length; p++)
                {
                    bool[] s = signs[b][p];
                    float[] gp = plus[b][p], gm = minus[b][p];
                    for (int j = 0; j < s.Length; j++)
                    {
                        double difference = (double)gp[j] - gm[j];
                        dot += s[j] ? difference : -difference;
                    }
                }
                samples[b][probe] = dot / (2 * step[b]);
            }
            onProbe?.Invoke(probe + 1, options.Probes);
        }
        return samples.Select((s, b) => Summarise(s, counts[b])).ToArray();

        // The weights of every block moved by direction·ε_b·v, the mean cross-entropy's gradient downloaded into gradients.
        void Gradient(int direction, float[][][] gradients)
        {
            for (int b = 0; b < weights.Length; b++)
                for (int p = 0; p < weights[b].Length; p++)
                {
                    float[] w = original[b][p], moved = gradients[b][p]; // scratch until the gradient overwrites it
                    bool[] s = signs[b][p];
                    double delta = direction * step[b];
                    for (int j = 0; j < w.Length; j++) moved[j] = (float)(w[j] + (s[j] ? delta : -delta));
                    kernels.Upload(moved, weights[b][p].Value);
                }
            var logits = executor.Forward(images);
            var (lossSum, _) = loss.Compute(logits.Reshape(n, classes), labelBuffer.Slice(0, n), hostLabels);
            if (!double.IsFinite(lossSum))
                throw new InvalidInputException($"the loss of the perturbed weights is {lossSum / n}: the Hessian trace cannot be estimated (try a smaller step)");
            executor.Backward(loss.Gradient.Reshape(logits.Shape));
            for (int b = 0; b < weights.Length; b++)
                for (int p = 0; p < weights[b].Length; p++)
                    kernels.Download(weights[b][p].Gradient!, gradients[b][p]);
            executor.EndStep();
        }
    }

    private static int ClassCount(GraphModel model, Tensor images)
    {
        var (c, h, w) = (images.Dim(1), images.Dim(2), images.Dim(3));
        return (int)HostTensor.ElementCount(model.Graph.InferShapes(new[] { c, h, w }, model.Parameters)[model.Graph.OutputId]);
    }

    private static DeviceParameter WeightOf(GraphModel model, TrainingExecutor executor, string layer)
        => model.Graph.TryGetNode(layer, out var node) && node is WeightLayerNode weighted
            ? executor.Parameters[weighted.WeightName]
            : throw new ArgumentException($"'{layer}' is not a conv or linear layer of model '{model.Name}'");

    /// <summary>ε = ρ·‖W‖/√n: the probe (norm √n) then moves the block by ρ·‖W‖; a block of zeros moves by ρ per weight.</summary>
    private static double Step(float[][] block, double relative)
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

    /// <summary>Rademacher entries from whole 64-bit draws, one bit each, in block/parameter/element order.</summary>
    private static void DrawSigns(Random rng, bool[][][] signs)
    {
        foreach (bool[][] block in signs)
            foreach (bool[] s in block)
                for (int j = 0; j < s.Length; j += 64)
                {
                    ulong bits = (ulong)rng.NextInt64() ^ ((ulong)rng.Next(2) << 63); // NextInt64 gives 63 bits
                    for (int k = 0; k < 64 && j + k < s.Length; k++) s[j + k] = ((bits >> k) & 1) != 0;
                }
    }

    private static TraceEstimate Summarise(double[] samples, long weights)
    {
        double mean = samples.Average();
        double squares = samples.Sum(x => (x - mean) * (x - mean));
        double stdError = Math.Sqrt(squares / (samples.Length - 1) / samples.Length);
        return new TraceEstimate(mean, stdError, weights);
    }
}
