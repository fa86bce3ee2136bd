using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Search.Baselines;

/// <summary>
/// v_iᵀ H_ii v_i through the output (<see cref="HessianEstimator.OutputDifference"/>): per probe and block, the block
/// alone moves by ±ε_i v_i, the model's inference forward (batch-norm on running statistics) gives the logits z⁺, z⁻,
/// and u = (z⁺ − z⁻)/2ε_i = J_i v_i. The mean cross-entropy's Hessian in the logits is, per image n,
/// (diag(p_n) − p_n p_nᵀ)/N with p_n = softmax(z_n) at the unmoved weights, so the sample is
/// (1/N)·Σ_n [Σ_c p_nc u_nc² − (Σ_c p_nc u_nc)²]. Blocks are probed one at a time: no cross terms add to the spread.
/// The weights are moved in the model's parameter store and restored exactly (also when a pass fails); the inference
/// path updates no running statistics. The model is differentiated at full precision whatever weight bits it runs at.
/// </summary>
internal static class OutputDifferenceProbes
{
    public static double[][] Run(GraphModel model, Tensor images, string[][] blocks, HessianOptions options, Action<int, int>? onProbe)
    {
        int n = images.Dim(0);
        var store = model.Parameters;
        float[][][] original = blocks.Select(block => block.Select(name => store[name].Data.ToArray()).ToArray()).ToArray();
        double[] step = original.Select(block => HutchinsonTrace.Step(block, options.Step)).ToArray();
        var bits = model.WeightBitWidths;
        var rng = new Random(options.Seed);
        var signs = original.Select(block => block.Select(w => new bool[w.Length]).ToArray()).ToArray();
        var samples = blocks.Select(_ => new double[options.Probes]).ToArray();
        try
        {
            model.SetWeightBits(null);
            double[] z = Logits(model, images);
            int classes = z.Length / n;
            double[] p = Softmax(z, classes);
            for (int probe = 0; probe < options.Probes; probe++)
            {
                for (int b = 0; b < blocks.Length; b++)
                {
                    HutchinsonTrace.DrawSigns(rng, signs[b]);
                    double[] plus = MovedLogits(b, +1), minus = MovedLogits(b, -1);
                    Restore(b);
                    double sum = 0;
                    for (int i = 0; i < n; i++)
                    {
                        double mean = 0, square = 0;
                        for (int c = 0; c < classes; c++)
                        {
                            int k = i * classes + c;
                            double u = (plus[k] - minus[k]) / (2 * step[b]);
                            mean += p[k] * u;
                            square += p[k] * u * u;
                        }
                        sum += square - mean * mean;
                    }
                    samples[b][probe] = sum / n;
                }
                onProbe?.Invoke(probe + 1, options.Probes);
            }
        }
        finally
        {
            for (int b = 0; b < blocks.Length; b++) Restore(b);
            model.SetWeightBits(bits);
        }
        return samples;

        double[] MovedLogits(int b, int direction)
        {
            for (int q = 0; q < blocks[b].Length; q++)
            {
                var moved = new float[original[b][q].Length];
                HutchinsonTrace.Move(original[b][q], signs[b][q], direction, step[b], moved);
                store.SetValues(blocks[b][q], moved);
            }
            return Logits(model, images);
        }

        void Restore(int b)
        {
            for (int q = 0; q < blocks[b].Length; q++) store.SetValues(blocks[b][q], original[b][q]);
        }
    }

    private static double[] Logits(GraphModel model, Tensor images)
    {
        using var logits = model.Forward(images, SearchMode.Qat);
        var values = logits.ToArray();
        foreach (float v in values)
            if (!float.IsFinite(v)) throw new InvalidInputException($"the model's output is {v} at the probed weights: the Hessian trace cannot be estimated");
        return values.Select(v => (double)v).ToArray();
    }

    /// <summary>Row-wise softmax in double, shifted by the row maximum.</summary>
    private static double[] Softmax(double[] z, int classes)
    {
        var p = new double[z.Length];
        for (int row = 0; row < z.Length; row += classes)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int c = 0; c < classes; c++) max = Math.Max(max, z[row + c]);
            for (int c = 0; c < classes; c++) sum += p[row + c] = Math.Exp(z[row + c] - max);
            for (int c = 0; c < classes; c++) p[row + c] /= sum;
        }
        return p;
    }
}
