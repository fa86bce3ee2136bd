using Ompq.Tests.Reference;
using TorchSharp;
using static Ompq.Tests.Reference.TorchTensors;

namespace Ompq.Tests.Kernels;

/// <summary>y = alpha·x + y against torch's y.add_(x, alpha); 2e-7 relative to |alpha·x| + |y| (fused or not).</summary>
public abstract class AxpyTests<TFixture>(TFixture fixture) : KernelTestBase<TFixture>(fixture)
    where TFixture : BackendFixture, IBackendCases
{
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void MatchesTorch(int caseIndex)
    {
        var rng = CaseRandom("axpy", caseIndex);
        int length = RandomData.Size(rng, Limits.MaxLength);
        float alpha = RandomData.Pick(rng, 1f, -1f, 0.5f, -3.7f, 1e-3f, 0f);
        var x = RandomData.Uniform(rng, length, -5f, 5f);
        var y = RandomData.Uniform(rng, length, -5f, 5f);

        using var dx = Upload(x);
        using var dy = Upload(y);
        Backend.Axpy(alpha, dx, dy, length);
        var actual = Download(dy);

        using var scope = torch.NewDisposeScope();
        var expected = Values(From(y, length).add_(From(x, length), alpha));
        var magnitude = x.Zip(y, (a, b) => Math.Abs(alpha * a) + Math.Abs(b)).ToArray();
        Close.Assert(expected, actual, 2e-7f, 0f, $"axpy alpha={alpha} length={length}", magnitude);
    }
}
