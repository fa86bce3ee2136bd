using Ompq.Tests.Reference;
using TorchSharp;
using static Ompq.Tests.Reference.TorchTensors;

namespace Ompq.Tests.Kernels;

/// <summary>Pairwise Frobenius inner products ⟨M_i, M_j⟩ against torch (M_i ⊙ M_j).sum(). Tolerance: 2e-5 relative to ⟨|M_i|, |M_j|⟩.</summary>
public abstract class FrobeniusProductsTests<TFixture>(TFixture fixture) : KernelTestBase<TFixture>(fixture)
    where TFixture : BackendFixture, IBackendCases
{
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void MatchesTorch(int caseIndex)
    {
        var rng = CaseRandom("frobenius", caseIndex);
        int count = RandomData.Size(rng, 20);
        int side = RandomData.Size(rng, 64);
        long elements = (long)side * side;
        var m = RandomData.Uniform(rng, count * elements);

        using var dm = Upload(m);
        using var dp = Backend.Allocate((long)count * count);
        Backend.FrobeniusProducts(count, elements, dm, dp);
        var actual = Download(dp);

        using var scope = torch.NewDisposeScope();
        var tm = From(m, count, side, side);
        var expected = new float[count * count];
        var magnitude = new float[count * count];
        for (int i = 0; i < count; i++)
            for (int j = 0; j < count; j++)
            {
                expected[i * count + j] = (tm[i] * tm[j]).sum().item<float>();
                magnitude[i * count + j] = (tm[i].abs() * tm[j].abs()).sum().item<float>();
            }
        Close.Assert(expected, actual, 2e-5f, 1e-6f, $"frobenius count={count} elements={elements}", magnitude);
    }
}
