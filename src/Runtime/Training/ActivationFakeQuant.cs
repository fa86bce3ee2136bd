using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Training;

/// <summary>
/// Fake quantization of a weight layer's input during quantization-aware training: per tensor on the grid of
/// <see cref="ActivationRanges"/>; the backward passes the input gradient straight through where the clamp does not
/// bind (torch's fake_quantize cachemask). The quantized input sits on the tape after the weight's entries.
/// </summary>
internal static class ActivationFakeQuant
{
    public static bool IsQuantized(TrainingContext context, string layer) => context.Quantization.For(layer)?.Input is not null;

    /// <summary>The input the layer computes with: <paramref name="x"/> itself, or its fake-quantized copy (saved on the tape).</summary>
    public static Tensor Quantize(TrainingContext context, NodeTape tape, string layer, Tensor x)
    {
        if (context.Quantization.For(layer)?.Input is not { } configured) return x;
        var grid = context.ActivationRanges.GridFor(context.Kernels, layer, configured, x, observe: context.Training);
        var quantized = context.Rent(x.Shape);
        context.Kernels.FakeQuantPerTensor(grid.Grid, x.Data, quantized.Data, x.Size);
        tape.Save(quantized);
        return quantized;
    }

    /// <summary>The input the forward computed with (for the weight gradient).</summary>
    public static Tensor Used(TrainingContext context, NodeTape tape, string layer, Tensor x)
        => IsQuantized(context, layer) ? tape[WeightFakeQuant.TapeOffset(context, layer)] : x;

    /// <summary>Straight-through estimator in place on the input gradient (a no-op for an fp32 input).</summary>
    public static void StraightThrough(TrainingContext context, string layer, Tensor x, Tensor inputGradient)
    {
        if (!IsQuantized(context, layer)) return;
        var grid = context.ActivationRanges.Used(layer).Grid;
        context.Kernels.FakeQuantPerTensorBackward(grid, x.Data, inputGradient.Data, inputGradient.Data, x.Size);
    }

    /// <summary>Tape entries this layer's quantization saved before what the layer itself saves.</summary>
    public static int TapeOffset(TrainingContext context, string layer)
        => WeightFakeQuant.TapeOffset(context, layer) + (IsQuantized(context, layer) ? 1 : 0);
}
