using Ompq.Kernels;
using Ompq.Tests.Reference;
using TorchSharp;
using static Ompq.Tests.Reference.TorchTensors;

namespace Ompq.Tests.Kernels;

/// <summary>
/// Conv2d and Linear with a fused epilogue: activation (relu/relu6) then per-tensor fake quantization.
/// The reference is torch conv → activation → fake quant composed from basic ops. A result may differ from
/// it by one quantization step only where the unquantized reference lies within its rounding tolerance
/// (2e-5 of the magnitude) of a rounding tie; everywhere else it must match to that tolerance.
/// </summary>
public abstract class EpilogueTests<TFixture>(TFixture fixture) : KernelTestBase<TFixture>(fixture)
    where TFixture : BackendFixture, IBackendCases
{
    private const float Relative = 2e-5f;

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void ConvWithActivationAndFakeQuant(int caseIndex)
    {
        var rng = CaseRandom("epilogue-conv", caseIndex);
        var shape = ConvCases.Random(rng, Limits, caseIndex % 5, largePlane: caseIndex % 10 == 9);
        var activation = RandomData.Pick(rng, Activation.Relu, Activation.Relu6, Activation.None);
        int bits = rng.Next(2, 9);
        var quant = activation == Activation.None
            ? QuantParams.Symmetric(bits, 0.5f + rng.NextSingle() * 2f)
            : QuantParams.Unsigned(bits, 0.5f + rng.NextSingle() * 4f);
        bool hasBias = rng.Next(2) == 1;
        var x = RandomData.Uniform(rng, shape.InputSize);
        var w = RandomData.Uniform(rng, shape.WeightSize);
        var bias = hasBias ? RandomData.Uniform(rng, shape.K) : null;

        var actual = RunConv2d(shape, x, w, bias, new Epilogue(activation, quant));

        var (activated, magnitude) = ConvCases.Reference(shape, x, w, bias, activation);
        AssertQuantized(activated, magnitude, actual, quant, $"conv2d {shape} {activation} {quant}");
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void LinearWithActivationAndFakeQuant(int caseIndex)
    {
        var rng = CaseRandom("epilogue-linear", caseIndex);
        var shape = new LinearShape(RandomData.Size(rng, 16), RandomData.Size(rng, Limits.MaxGemm), RandomData.Size(rng, Limits.MaxGemm));
        var activation = RandomData.Pick(rng, Activation.Relu, Activation.Relu6, Activation.None);
        var quant = activation == Activation.None ? QuantParams.Symmetric(rng.Next(2, 9), 3f) : QuantParams.Unsigned(rng.Next(2, 9), 5f);
        var x = RandomData.Uniform(rng, (long)shape.Batch * shape.In);
        var w = RandomData.Uniform(rng, (long)shape.Out * shape.In);
        var bias = RandomData.Uniform(rng, shape.Out);

        using var dx = Upload(x);
        using var dw = Upload(w);
        using var db = Upload(bias);
        using var dy = Backend.Allocate((long)shape.Batch * shape.Out);
        Backend.Linear(shape, dx, dw, db, dy, new Epilogue(activation, quant));
        var actual = Download(dy);

        using var scope = torch.NewDisposeScope();
        var tx = From(x, shape.Batch, shape.In);
        var tw = From(w, shape.Out, shape.In);
        var tb = From(bias, shape.Out);
        var activated = Values(TorchActivation.Apply(activation, torch.nn.functional.linear(tx, tw, tb)));
        var magnitude = Values(torch.nn.functional.linear(tx.abs(), tw.abs(), tb.abs()));
        AssertQuantized(activated, magnitude, actual, quant, $"linear {shape} {activation} {quant}");
    }

    private static void AssertQuantized(float[] activated, float[] magnitude, float[] actual, QuantParams quant, string context)
    {
        using var scope = torch.NewDisposeScope();
        var expected = Values(FakeQuantReference.PerTensor(From(activated, activated.Length), quant.Scale, quant.ZeroPoint, quant.QMin, quant.QMax));
        int tieSteps = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            float tolerance = 1e-6f + Relative * magnitude[i];
            float error = Math.Abs(actual[i] - expected[i]);
            if (error <= tolerance) continue;
            // One step off is allowed only where the unquantized value is a rounding tie within tolerance.
            double position = activated[i] / quant.Scale;
            double distanceToTie = Math.Abs(position - Math.Floor(position) - 0.5);
            bool nearTie = distanceToTie * quant.Scale <= tolerance * 2;
            Assert.True(nearTie && Math.Abs(error - quant.Scale) <= tolerance + 1e-6f * quant.Scale,
                $"{context}: element {i} expected {expected[i]} (from {activated[i]}), got {actual[i]}");
            tieSteps++;
        }
        Assert.True(tieSteps <= Math.Max(2, actual.Length / 100), $"{context}: {tieSteps} elements one step off");
    }
}
