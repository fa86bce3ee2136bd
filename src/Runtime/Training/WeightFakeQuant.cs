using Ompq.Kernels;
using Ompq.Runtime.Quantization;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Training;

/// <summary>
/// Weight fake quantization of one conv or linear layer during quantization-aware training: the forward computes with
/// wq = symmetric per-output-channel quantize-dequantize of the fp32 weight w (spec §8), the backward uses wq for the
/// data gradient and passes the weight gradient (computed against wq) through the straight-through estimator, zero
/// where the clamp binds. The scales follow the weights every step unless the configuration fixes them;
/// a model whose batch-norm was folded first (<see cref="Nn.Graph.GraphModel.FoldBatchNorm"/>) quantizes exactly the
/// weight inference computes with.
/// </summary>
internal static class WeightFakeQuant
{
    /// <summary>Tape entries <see cref="Quantize"/> saves when the layer is quantized (wq, then the scales).</summary>
    public const int SavedTensors = 2;

    /// <summary>The layer's bit-width in this context, or null for full precision.</summary>
    public static int? Bits(TrainingContext context, string layer)
        => context.Quantization.For(layer)?.WeightBits;


    /// <summary>
    /// The weight the layer's forward computes with: the fp32 value at full precision, else wq, rented for the step and
    /// saved on the tape with its scales (at the tape's current end, so call it before anything else is saved).
    /// </summary>
    public static BufferSlice Quantize(TrainingContext context, NodeTape tape, string layer, DeviceParameter weight)
    {
        if (Bits(context, layer) is not { } bits) return weight.Value;
        int channels = weight.Shape[0];
        long perChannel = weight.Length / channels;
        var quantized = context.Rent(weight.Shape);
        if (context.Quantization.For(layer)!.WeightScales is { } fixedScales)
        {
            var scales = context.FixedWeightScales(layer, fixedScales);
            FixedScaleWeightQuant.Apply(context.Kernels, bits, fixedScales, weight.Value, quantized.Data);
            tape.Save(quantized);
            tape.Save(scales);
            return quantized.Data;
        }
        var derived = context.Rent(new[] { channels });
        context.Kernels.FakeQuantWeightsPerChannel(channels, perChannel, bits, weight.Value, quantized.Data, derived.Data);
        tape.Save(quantized);
        tape.Save(derived);
        return quantized.Data;
    }

    /// <summary>The weight the forward used (tape entry 0 of a quantized layer).</summary>
    public static BufferSlice Used(TrainingContext context, NodeTape tape, string layer, DeviceParameter weight)
        => Bits(context, layer) is null ? weight.Value : tape[0].Data;

    /// <summary>Straight-through estimator, in place on the weight gradient: zero where the forward's clamp bound.</summary>
    public static void StraightThrough(TrainingContext context, NodeTape tape, string layer, DeviceParameter weight)
    {
        if (Bits(context, layer) is not { } bits) return;
        int channels = weight.Shape[0];
        var gradient = weight.Gradient!;
        context.Kernels.FakeQuantWeightsPerChannelBackward(channels, weight.Length / channels, bits, weight.Value, tape[1].Data,
            gradient, gradient);
    }

    /// <summary>How many tape entries precede what the layer itself saves.</summary>
    public static int TapeOffset(TrainingContext context, string layer) => Bits(context, layer) is null ? 0 : SavedTensors;
}
