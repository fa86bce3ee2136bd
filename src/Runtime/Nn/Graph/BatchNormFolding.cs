using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Nn.Graph;

/// <summary>
/// Folds inference batch-norm into the preceding conv/linear: W' = W·γ/√(σ²+ε) per output channel and
/// b' = (b − μ)·γ/√(σ²+ε) + β, so the layer runs as one kernel with a bias epilogue (spec §8).
/// </summary>
public static class BatchNormFolding
{
    /// <summary>Returns the folded weight (same layout as <paramref name="weight"/>, output channel first) and bias.</summary>
    public static (float[] Weight, float[] Bias) Fold(HostTensor weight, HostTensor? bias, ParameterStore parameters, BatchNormParams? bn)
    {
        int outChannels = weight.Shape[0];
        long perChannel = weight.Size / outChannels;
        var w = (float[])weight.Data.Clone();
        var b = bias is null ? new float[outChannels] : (float[])bias.Data.Clone();
        if (bn is null) return (w, b);

        var gamma = parameters[bn.Gamma].Data;
        var beta = parameters[bn.Beta].Data;
        var mean = parameters[bn.RunningMean].Data;
        var variance = parameters[bn.RunningVar].Data;
        for (int k = 0; k < outChannels; k++)
        {
            double scale = gamma[k] / Math.Sqrt((double)variance[k] + bn.Eps);
            var row = w.AsSpan((int)(k * perChannel), (int)perChannel);
            for (int i = 0; i < row.Length; i++) row[i] = (float)(row[i] * scale);
            b[k] = (float)((b[k] - mean[k]) * scale + beta[k]);
        }
        return (w, b);
    }
}
