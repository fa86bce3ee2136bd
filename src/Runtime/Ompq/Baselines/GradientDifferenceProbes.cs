using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Tensors;
using Ompq.Runtime.Training;

namespace Ompq.Runtime.Search.Baselines;

/// <summary>
/// v_iᵀ H_ii v_i from central differences of the loss gradient (<see cref="HessianEstimator.GradientDifference"/>):
/// per probe, every block moves by ±ε_i v_i at once and the training executor gives the gradients at both points;
/// block i's sample is v_iᵀ(g⁺ − g⁻)_i / 2ε_i. The cross terms v_iᵀ H_ij v_j have mean zero, so each block stays
/// unbiased and their spread shows in the standard error. Batch-norm uses the batch's statistics (the executor
/// differentiates training mode only); the running statistics it updates live in its own device copy of the
/// parameters, which is discarded.
/// </summary>
internal static class GradientDifferenceProbes
{
    public static double[][] Run(GraphModel model, Tensor images, IReadOnlyList<int> labels, int classes, string[][] blocks, HessianOptions options,
        Action<int, int>? onProbe)
    {
        int n = images.Dim(0);
        var kernels = images.Kernels;
        using var executor = new TrainingExecutor(model, kernels) { Training = true };
        DeviceParameter[][] weights = blocks.Select(block => block.Select(name => executor.Parameters[name]).ToArray()).ToArray();
        float[][][] original = blocks.Select(block => block.Select(name => model.Parameters[name].Data.ToArray()).ToArray()).ToArray();
        double[] step = original.Select(block => HutchinsonTrace.Step(block, options.Step)).ToArray();

        using var loss = new LossHead(kernels);
        using var labelBuffer = kernels.Allocate(n);
        kernels.Upload(labels.Select(l => (float)l).ToArray(), labelBuffer);
        int[] hostLabels = labels.ToArray();

        var rng = new Random(options.Seed);
        var signs = original.Select(block => block.Select(w => new bool[w.Length]).ToArray()).ToArray();
        var plus = original.Select(block => block.Select(w => new float[w.Length]).ToArray()).ToArray();
        var minus = original.Select(block => block.Select(w => new float[w.Length]).ToArray()).ToArray();
        var samples = blocks.Select(_ => new double[options.Probes]).ToArray();
        for (int probe = 0; probe < options.Probes; probe++)
        {
            foreach (bool[][] block in signs) HutchinsonTrace.DrawSigns(rng, block);
            Gradient(+1, plus);
            Gradient(-1, minus);
            for (int b = 0; b < blocks.Length; b++)
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
        return samples;

        // The mean cross-entropy's gradient with every block moved by direction·ε_b·v, downloaded into gradients.
        void Gradient(int direction, float[][][] gradients)
        {
            for (int b = 0; b < weights.Length; b++)
                for (int p = 0; p < weights[b].Length; p++)
                {
                    float[] moved = gradients[b][p]; // scratch until the gradient overwrites it
                    HutchinsonTrace.Move(original[b][p], signs[b][p], direction, step[b], moved);
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
}
