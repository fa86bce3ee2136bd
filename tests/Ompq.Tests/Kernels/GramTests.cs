using Ompq.Tests.Reference;
using TorchSharp;
using static Ompq.Tests.Reference.TorchTensors;

namespace Ompq.Tests.Kernels;

/// <summary>Gram matrix X·Xᵀ against torch.matmul; must be exactly symmetric. Tolerance: 2e-5 relative to |X|·|X|ᵀ.</summary>
public abstract class GramTests<TFixture>(TFixture fixture) : KernelTestBase<TFixture>(fixture)
    where TFixture : BackendFixture, IBackendCases
{
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void MatchesTorch(int caseIndex)
    {
        var rng = CaseRandom("gram", caseIndex);
        int n = RandomData.Size(rng, Math.Min(64, Limits.MaxGemm));
        int d = RandomData.Size(rng, Limits.MaxLength);
        var x = RandomData.Uniform(rng, (long)n * d, -rng.NextSingle() - 0.1f, 1f);

        using var dx = Upload(x);
        using var dk = Backend.Allocate((long)n * n);
        Backend.Gram(n, d, dx, dk);
        var actual = Download(dk);

        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
                Assert.Equal(actual[i * n + j], actual[j * n + i]);
        using var scope = torch.NewDisposeScope();
        var tx = From(x, n, d);
        var expected = Values(tx.matmul(tx.t()));
        var magnitude = Values(tx.abs().matmul(tx.abs().t()));
        Close.Assert(expected, actual, 2e-5f, 1e-6f, $"gram n={n} d={d}", magnitude);
    }
}
