using Ompq.Kernels;
using Ompq.Tests.Reference;
using TorchSharp;
using static Ompq.Tests.Reference.TorchTensors;

namespace Ompq.Tests.Kernels;

/// <summary>Activations against torch relu/relu6, out of place and in place; exact.</summary>
public abstract class ActivationTests<TFixture>(TFixture fixture) : KernelTestBase<TFixture>(fixture)
    where TFixture : BackendFixture, IBackendCases
{
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void MatchesTorch(int caseIndex)
    {
        var rng = CaseRandom("activation", caseIndex);
        int length = RandomData.Size(rng, Limits.MaxLength);
        var activation = (Activation)(caseIndex % 3);
        bool inPlace = rng.Next(2) == 1;
        var x = RandomData.Uniform(rng, length, -10f, 10f);

        using var dx = Upload(x);
        using var dy = inPlace ? null : Backend.Allocate(length);
        var target = dy ?? dx;
        Backend.Activate(activation, dx, target, length);
        var actual = Download(target);

        using var scope = torch.NewDisposeScope();
        Close.Exact(Values(TorchActivation.Apply(activation, From(x, length))), actual, $"{activation} length={length} inPlace={inPlace}");
    }
}
