using Ompq.Kernels;
using Ompq.Runtime.Nn.Graph;

namespace Ompq.Runtime.Search.Baselines;

/// <summary>
/// ‖Q_b(W) − W‖² of a block of weights at each width, with Q the project's weight quantizer
/// (<see cref="IKernels.FakeQuantWeightsPerChannel"/>: symmetric, per output channel, scale max|w|/(2^(b−1) − 1)),
/// run on the backend and summed on the host in double.
/// </summary>
public static class QuantizationError
{
    /// <returns>[t] = the squared error of all the block's weights at width <paramref name="minBits"/> + t.</returns>
    public static double[] Of(GraphModel model, IKernels kernels, IReadOnlyList<string> layers, int minBits, int maxBits)
    {
        var errors = new double[maxBits - minBits + 1];
        foreach (string layer in layers)
        {
            if (!model.Graph.TryGetNode(layer, out var node) || node is not WeightLayerNode weighted)
                throw new ArgumentException($"'{layer}' is not a conv or linear layer of model '{model.Name}'");
            var weight = model.Parameters[weighted.WeightName];
            int channels = weight.Shape[0];
            long perChannel = weight.Size / channels;
            var quantized = new float[weight.Size];
            using var w = kernels.Allocate(weight.Size);
            using var q = kernels.Allocate(weight.Size);
            kernels.Upload(weight.Data, w);
            for (int bits = minBits; bits <= maxBits; bits++)
            {
                kernels.FakeQuantWeightsPerChannel(channels, perChannel, bits, w, q);
                kernels.Download(q, quantized);
                double sum = 0;
                for (int j = 0; j < quantized.Length; j++)
                {
                    double d = (double)quantized[j] - weight.Data[j];
                    sum += d * d;
                }
                errors[bits - minBits] += sum;
            }
        }
        return errors;
    }
}
