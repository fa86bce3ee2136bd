using Ompq.Kernels.Cpu;
using Ompq.Runtime.Inference;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Quantization;
using Ompq.Runtime.Training;
using Ompq.Tests.Training;

namespace Ompq.Tests.Inference;

/// <summary>Quantized networks for the inference tests, built without files: zoo models with seeded weights, calibrated on synthetic images.</summary>
internal static class TestNetworks
{
    /// <summary>A seeded resnet20 (28², 1 channel, 10 classes), batch-norm folded, weights at <paramref name="bits"/>(layer index), inputs calibrated at 8 bits.</summary>
    public static QuantizedNetwork Resnet20(int seed, Func<int, int> bits, int activationBits = 8)
    {
        using var zoo = ModelZoo.Create("resnet20", 28, seed, classes: 10, channels: 1);
        using var model = zoo.FoldBatchNorm();
        return Calibrated(model, bits, activationBits, new SyntheticLabelledImages(64, 10, 28, seed));
    }

    public static QuantizedNetwork Calibrated(GraphModel model, Func<int, int> bits, int activationBits, ILabelledImages images)
    {
        var layers = model.WeightLayers.Select((l, i) => (l.Name, Bits: bits(i))).ToDictionary(p => p.Name, p => p.Bits, StringComparer.Ordinal);
        model.SetQuantization(QuantizationConfig.WeightsOnly(layers));
        using var kernels = new CpuKernels();
        model.SetQuantization(ActivationCalibration.Calibrate(model, kernels, images, images.Count, activationBits));
        return QuantizedNetwork.From(model);
    }

    /// <summary>Images of <paramref name="network"/>'s input shape from a labelled set, back to back.</summary>
    public static float[] Images(ILabelledImages images, int count)
    {
        var (c, h, w) = images.ImageShape;
        var pixels = new float[count * c * h * w];
        images.Read(Enumerable.Range(0, count).ToArray(), pixels, new int[count]);
        return pixels;
    }

    /// <summary>The fake-quant reference forward's logits (fp32 graph on the cpu backend).</summary>
    public static float[] ReferenceLogits(QuantizedNetwork network, float[] images, int count)
    {
        using var kernels = new CpuKernels();
        using var model = network.ToReferenceModel();
        var (c, h, w) = network.InputShape;
        using var input = Ompq.Runtime.Tensors.Tensor.FromHost(kernels, images, count, c, h, w);
        using var output = model.Forward(input, SearchMode.Qat);
        return output.ToArray();
    }
}
