using Ompq.Kernels;
using Ompq.Kernels.Cpu.Integer;
using Ompq.Runtime.Inference;
using Ompq.Tests.Training;
using Xunit.Abstractions;

namespace Ompq.Tests.Inference;

/// <summary>The integer forward of a whole network equals the fake-quant forward up to the documented rounding, on every integer path of this CPU.</summary>
public sealed class IntegerForwardTests(ITestOutputHelper output)
{
    public static TheoryData<IntegerIsa> Paths()
    {
        var data = new TheoryData<IntegerIsa>();
        foreach (var isa in IntegerIsas.Supported) data.Add(isa);
        return data;
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void SeededResnet20MatchesFakeQuant(IntegerIsa isa)
    {
        var network = TestNetworks.Resnet20(seed: 3, bits: i => 2 + i % 7);
        const int count = 16;
        var images = TestNetworks.Images(new SyntheticLabelledImages(count, 10, 28, seed: 11), count);
        var reference = TestNetworks.ReferenceLogits(network, images, count);
        using var model = QuantizedModel.Create(network, new QuantizedModelOptions { Isa = isa });
        var logits = new float[count * 10];
        model.Predict(images, logits);
        double maxDiff = 0, maxAbs = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(logits[i] - reference[i]));
            maxAbs = Math.Max(maxAbs, Math.Abs(reference[i]));
        }
        output.WriteLine($"{isa}: max |int − fake-quant| = {maxDiff:G4}, max |logit| = {maxAbs:G4}");
        Assert.True(maxDiff <= 0.05 * maxAbs + 1e-4, $"max difference {maxDiff} for logits up to {maxAbs}");
    }

    /// <summary>
    /// Without identity shortcuts every value the engine quantizes is one the fake-quant forward quantizes too, so the
    /// only differences are fp32 summation order and a code that this flips at a rounding tie.
    /// </summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public void OddNetworkMatchesFakeQuantClosely(IntegerIsa isa)
    {
        var network = OddNetwork.Create(seed: 4, bits: i => 3 + i);
        const int count = 8;
        var images = TestNetworks.Images(new OddNetwork.RandomImages(count, (3, 11, 11), seed: 9), count);
        var reference = TestNetworks.ReferenceLogits(network, images, count);
        using var model = QuantizedModel.Create(network, new QuantizedModelOptions { Isa = isa, Threads = 2 });
        var logits = model.Predict(images);
        double maxDiff = logits.Zip(reference, (a, b) => Math.Abs(a - b)).Max();
        double maxAbs = reference.Max(v => Math.Abs(v));
        output.WriteLine($"{isa}: max |int − fake-quant| = {maxDiff:G4}, max |logit| = {maxAbs:G4}");
        Assert.True(maxDiff <= 1e-4 * maxAbs + 1e-6, $"max difference {maxDiff} for logits up to {maxAbs}");
    }
}
