using Ompq.Kernels.Cpu;
using Ompq.Runtime.Nn.Graph;

namespace Ompq.Tests.Training;

/// <summary>
/// One quantization-aware training step (fake-quantized weights, straight-through gradients) against TorchSharp
/// autograd with the same fake quantization composed from basic ops: logits, loss, every gradient and running
/// statistic, with <see cref="TrainingStepTests"/>' tolerances.
/// </summary>
public sealed class QatStepTests
{
    [Fact]
    public void Resnet20WithFourBitWeightsMatchesTorchStraightThrough()
    {
        using var kernels = new CpuKernels();
        TrainingStepTests.RunStep(kernels, "resnet20", 12, 4, MixedBits);
    }

    /// <summary>4 bits on every conv but the stem; the stem and the classifier at 8 (the usual QAT recipe).</summary>
    internal static IReadOnlyDictionary<string, int> MixedBits(GraphModel model)
    {
        var layers = model.WeightLayers.ToList();
        var bits = layers.ToDictionary(l => l.Name, l => l is ConvNode ? 4 : 8);
        bits[layers[0].Name] = 8;
        Assert.Contains(bits.Values, b => b == 4);
        return bits;
    }
}
