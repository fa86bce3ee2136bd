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

    /// <summary>NaN stays NaN through relu and relu6 (torch's rule), in the vector body and the scalar tail alike.</summary>
    [SkippableFact]
    public void NaNPropagates()
    {
        var x = Enumerable.Range(0, 19).Select(i => i % 3 == 0 ? float.NaN : i - 9f).ToArray();
        foreach (var activation in new[] { Activation.Relu, Activation.Relu6 })
        {
            using var dx = Upload(x);
            Backend.Activate(activation, dx, dx, x.Length);
            var actual = Download(dx);
            for (int i = 0; i < x.Length; i++)
                Assert.True(float.IsNaN(x[i]) == float.IsNaN(actual[i]), $"{activation}: element {i} ({x[i]}) gave {actual[i]}");
        }
    }
}
