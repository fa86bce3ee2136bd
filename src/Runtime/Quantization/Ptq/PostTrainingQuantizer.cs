using System.Diagnostics;
using Ompq.Kernels;
using Ompq.Runtime.Nn.Graph;

namespace Ompq.Runtime.Quantization.Ptq;

/// <summary>
/// Post-training quantization without labels (spec §8, BRECQ + AdaRound, scaled down): per-channel weight scales by
/// least Lp error (<see cref="LpWeightScales"/>), then block by block (<see cref="ReconstructionBlocks"/>) searched
/// 8-bit (or narrower) input steps and learned rounding (<see cref="BlockReconstruction"/>), each block reading the
/// already-quantized model's output. The result is a configuration with fixed scales and input grids, and weights that
/// lie on their grids, so inference (`ompq eval`) recomputes exactly what was calibrated.
/// </summary>
public static class PostTrainingQuantizer
{
    /// <summary>
    /// Quantizes <paramref name="model"/> in place: its conv/linear weights become s_c·q (the chosen rounding) and its
    /// quantization is set to the result's configuration. Layers absent from <paramref name="weightBits"/> stay fp32.
    /// </summary>
    /// <param name="model">A batch-norm-folded model (<see cref="GraphModel.FoldBatchNorm"/>).</param>
    public static PtqResult Run(GraphModel model, IKernels kernels, CalibrationImages calibration, IReadOnlyDictionary<string, int> weightBits,
        PtqOptions options, IProgress<PtqProgress>? progress = null, CancellationToken cancellation = default)
    {
        options.Validate();
        if (!model.IsBatchNormFolded)
            throw new InvalidInputException($"model '{model.Name}': post-training quantization needs its batch-norm folded first (its quantized weight is the folded one)");
        if (calibration.Shape != model.InputShape)
            throw new InvalidInputException(
                $"calibration images are {calibration.Shape.Channels}×{calibration.Shape.Height}×{calibration.Shape.Width}, model '{model.Name}' expects {model.InputShape.Channels}×{model.InputShape.Height}×{model.InputShape.Width}");
        QuantizationConfig.WeightsOnly(weightBits).Validate(model.Graph, model.Parameters, model.Name);
        var clock = Stopwatch.StartNew();

        var weights = new Dictionary<string, (int Bits, float[] Scales)>(StringComparer.Ordinal);
        foreach (var (layer, bits) in weightBits)
        {
            var node = (WeightLayerNode)model.Graph.Node(layer);
            weights[layer] = (bits, LpWeightScales.Search(model.Parameters[node.WeightName].Data, node.OutChannels(model.Parameters), bits, options.WeightNorm));
        }

        var blocks = ReconstructionBlocks.Find(model.Graph);
        var (c, h, w) = calibration.Shape;
        var quantized = new HostActivations(calibration.Data, calibration.Count, new[] { c, h, w });
        var reference = quantized;
        var layers = new Dictionary<string, LayerQuantization>(StringComparer.Ordinal);
        var results = new List<BlockReconstructionResult>();
        for (int b = 0; b < blocks.Count; b++)
        {
            var outcome = new BlockReconstruction(kernels, model, blocks[b], b, blocks.Count, weights, options, progress)
                .Run(quantized, reference, cancellation);
            foreach (var (layer, q) in outcome.Layers) layers[layer] = q;
            results.Add(outcome.Result);
            quantized = outcome.QuantizedOutput;
            reference = outcome.FloatOutput;
        }
        var config = new QuantizationConfig(layers);
        model.SetQuantization(config);
        return new PtqResult(config, results, clock.Elapsed.TotalSeconds);
    }
}
