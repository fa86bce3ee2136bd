using Ompq.Tests.Reference;
using TorchSharp;
using static Ompq.Tests.Reference.TorchTensors;

namespace Ompq.Tests.Kernels;

/// <summary>Centring H·K·H (H = I − 11ᵀ/n) against torch, out of place and in place. Tolerance: 1e-5 of max|K| (centring cancels).</summary>
public abstract class CenterGramTests<TFixture>(TFixture fixture) : KernelTestBase<TFixture>(fixture)
    where TFixture : BackendFixture, IBackendCases
{
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void MatchesTorch(int caseIndex)
    {
        var rng = CaseRandom("center", caseIndex);
        int n = RandomData.Size(rng, 64);
        int d = RandomData.Size(rng, 50);
        bool inPlace = rng.Next(2) == 1;
        using var scope = torch.NewDisposeScope();
        var features = From(RandomData.Uniform(rng, (long)n * d, -0.5f, 1.5f), n, d);
        var k = Values(features.matmul(features.t()));

        using var dk = Upload(k);
        using var dc = inPlace ? null : Backend.Allocate((long)n * n);
        var target = dc ?? dk;
        Backend.CenterGram(n, dk, target);
        var actual = Download(target);

        var h = torch.eye(n) - torch.full(n, n, 1f / n);
        var tk = From(k, n, n);
        var expected = Values(h.matmul(tk).matmul(h));
        float maxAbs = k.Max(Math.Abs);
        Close.Assert(expected, actual, 0f, 1e-5f * maxAbs + 1e-7f, $"center n={n} inPlace={inPlace}");
    }
}
