using Ompq.Kernels;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Quantization;
using Ompq.Runtime.Tensors;
using Ompq.Runtime.Training;

namespace Ompq.Runtime.Inference;

/// <summary>
/// Input grids for a model that has none (a float checkpoint quantized at export): the first images of a set run
/// through the batch-norm-folded model with its weights fake-quantized, and each conv/linear layer's input grid covers
/// the extreme values it saw (max range, <see cref="ActivationQuant.Covering"/>). The first layer reads the image at 8
/// bits, as quantization-aware training does.
/// </summary>
public static class ActivationCalibration
{
    public const int ImageBits = 8;

    /// <summary><paramref name="model"/>'s quantization with every layer's input grid set from <paramref name="images"/> (first <paramref name="count"/>).</summary>
    public static QuantizationConfig Calibrate(GraphModel model, IKernels kernels, ILabelledImages images, int count, int activationBits, int batchSize = 64)
    {
        if (count < 1) throw new InvalidInputException($"calibration needs at least one image, got {count}");
        if (images.ImageShape != model.InputShape)
            throw new InvalidInputException($"calibration images are {images.ImageShape}, model '{model.Name}' reads {model.InputShape}");
        ActivationQuant.CheckBits(activationBits, "activation");
        var config = model.Quantization;
        var layers = model.WeightLayers.ToList();
        // A model over the same graph and parameters whose "units" are the layer inputs, so Forward reports them.
        var captures = layers.Select(l => new UnitSpec("input:" + l.Name, l.Inputs[0], Array.Empty<string>())).ToList();
        using var probe = new GraphModel(model.Name, model.Graph, model.Parameters, model.InputShape,
            new Dictionary<SearchMode, IReadOnlyList<UnitSpec>> { [SearchMode.Ptq] = captures }, new Dictionary<SearchMode, IReadOnlyList<string>>());
        probe.SetQuantization(QuantizationConfig.WeightsOnly(config.WeightBits));
        // Units are ordered by the value they capture, not by layer: map each back to its layer.
        var layerOfUnit = probe.Units(SearchMode.Ptq).Select(u => layers.FindIndex(l => "input:" + l.Name == u.Name)).ToArray();
        var min = new float[layers.Count];
        var max = new float[layers.Count];
        Array.Fill(min, float.PositiveInfinity);
        Array.Fill(max, float.NegativeInfinity);
        var (c, h, w) = images.ImageShape;
        int total = Math.Min(count, images.Count);
        var pixels = new float[(long)Math.Min(batchSize, total) * c * h * w];
        var labels = new int[Math.Min(batchSize, total)];
        using var scratch = kernels.Allocate(2);
        var pair = new float[2];
        for (int start = 0; start < total; start += batchSize)
        {
            int n = Math.Min(batchSize, total - start);
            var indices = Enumerable.Range(start, n).ToArray();
            images.Read(indices, pixels.AsSpan(0, n * c * h * w), labels.AsSpan(0, n));
            // The executor reports node outputs only: layers reading the images directly take their range here.
            for (int i = 0; i < layers.Count; i++)
                if (layers[i].Inputs[0] == model.Graph.InputName)
                    foreach (float v in pixels.AsSpan(0, n * c * h * w))
                    {
                        if (!float.IsFinite(v)) throw new InvalidInputException($"calibration image holds a non-finite pixel ({v})");
                        min[i] = MathF.Min(min[i], v);
                        max[i] = MathF.Max(max[i], v);
                    }
            using var input = Tensor.FromHost(kernels, pixels.AsSpan(0, n * c * h * w), n, c, h, w);
            using var logits = probe.Forward(input, SearchMode.Ptq, (unit, x) =>
            {
                int layer = layerOfUnit[unit];
                kernels.MinMax(1, 1, x.Size, x.Data, scratch.Slice(0, 1), scratch.Slice(1, 1));
                kernels.Download(scratch.All, pair);
                if (!float.IsFinite(pair[0]) || !float.IsFinite(pair[1]))
                    throw new InvalidInputException($"layer '{layers[layer].Name}': its input holds non-finite values during calibration");
                min[layer] = MathF.Min(min[layer], pair[0]);
                max[layer] = MathF.Max(max[layer], pair[1]);
            });
        }
        var grids = new Dictionary<string, ActivationQuant>(StringComparer.Ordinal);
        for (int i = 0; i < layers.Count; i++)
            grids[layers[i].Name] = ActivationQuant.Covering(i == 0 ? ImageBits : activationBits, min[i], max[i]);
        return config.WithInputs(layer => grids[layer]);
    }
}
