using Ompq.Kernels;
using Ompq.Tests.Reference;
using TorchSharp;
using static Ompq.Tests.Reference.TorchTensors;

namespace Ompq.Tests.Kernels;

/// <summary>Linear (x·Wᵀ + bias, then activation) against torch.nn.functional.linear. Tolerance: 2e-5 relative to |x|·|W|ᵀ + |bias|.</summary>
public abstract class LinearTests<TFixture>(TFixture fixture) : KernelTestBase<TFixture>(fixture)
    where TFixture : BackendFixture, IBackendCases
{
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void MatchesTorch(int caseIndex)
    {
        var rng = CaseRandom("linear", caseIndex);
        var shape = new LinearShape(RandomData.Size(rng, Limits.MaxGemm / 4 + 1), RandomData.Size(rng, Limits.MaxGemm), RandomData.Size(rng, Limits.MaxGemm));
        bool hasBias = rng.Next(3) > 0;
        var activation = RandomData.Pick(rng, Activation.None, Activation.Relu, Activation.Relu6);
        var x = RandomData.Uniform(rng, (long)shape.Batch * shape.In, -2f, 2f);
        var w = RandomData.Uniform(rng, (long)shape.Out * shape.In, -1f, 1f);
        var bias = RandomData.Uniform(rng, shape.Out, -2f, 2f);

        using var dx = Upload(x);
        using var dw = Upload(w);
        using var db = Upload(bias);
        using var dy = Backend.Allocate((long)shape.Batch * shape.Out);
        Backend.Linear(shape, dx, dw, hasBias ? db.All : null, dy, new Epilogue(activation));
        var actual = Download(dy);

        using var scope = torch.NewDisposeScope();
        var tx = From(x, shape.Batch, shape.In);
        var tw = From(w, shape.Out, shape.In);
        var tb = hasBias ? From(bias, shape.Out) : null;
        var linear = torch.nn.functional.linear(tx, tw, tb);
        var expected = Values(TorchActivation.Apply(activation, linear));
        var magnitudeTensor = torch.nn.functional.linear(tx.abs(), tw.abs(), tb?.abs());
        Close.Assert(expected, actual, 2e-5f, 1e-6f, $"linear {shape} bias={hasBias} {activation}", Values(magnitudeTensor));
    }
}
