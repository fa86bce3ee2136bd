using Ompq.Kernels;
using Ompq.Tests.Reference;
using TorchSharp;
using static Ompq.Tests.Reference.TorchTensors;

namespace Ompq.Tests.Kernels;

/// <summary>Residual add (+ activation) against torch, with y separate or aliasing a or b; exact.</summary>
public abstract class AddTests<TFixture>(TFixture fixture) : KernelTestBase<TFixture>(fixture)
    where TFixture : BackendFixture, IBackendCases
{
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void MatchesTorch(int caseIndex)
    {
        var rng = CaseRandom("add", caseIndex);
        int length = RandomData.Size(rng, Limits.MaxLength);
        var activation = (Activation)(caseIndex % 3);
        int alias = rng.Next(3);
        var a = RandomData.Uniform(rng, length, -5f, 5f);
        var b = RandomData.Uniform(rng, length, -5f, 5f);

        using var da = Upload(a);
        using var db = Upload(b);
        using var dy = alias == 0 ? Backend.Allocate(length) : null;
        var target = alias switch { 0 => dy!, 1 => da, _ => db };
        Backend.Add(da, db, target, length, activation);
        var actual = Download(target);

        using var scope = torch.NewDisposeScope();
        var expected = Values(TorchActivation.Apply(activation, From(a, length) + From(b, length)));
        Close.Exact(expected, actual, $"add {activation} length={length} alias={alias}");
    }
}
