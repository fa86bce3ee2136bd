using Ompq.Kernels;
using Ompq.Tests.Reference;
using TorchSharp;
using static Ompq.Tests.Reference.TorchTensors;

namespace Ompq.Tests.Kernels;

/// <summary>GEMM with transposes, alpha and beta, square-ish and skinny, against torch.matmul. Tolerance: 2e-5 relative to |α|·|op(A)|·|op(B)| + |β|·|C|.</summary>
public abstract class GemmTests<TFixture>(TFixture fixture) : KernelTestBase<TFixture>(fixture)
    where TFixture : BackendFixture, IBackendCases
{
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void MatchesTorch(int caseIndex)
    {
        var rng = CaseRandom("gemm", caseIndex);
        int m = RandomData.Size(rng, Limits.MaxGemm), n = RandomData.Size(rng, Limits.MaxGemm), k = RandomData.Size(rng, Limits.MaxGemm);
        // Every tenth case is skinny and 8× longer on one side, to cross column/row blocking and work splits.
        if (caseIndex % 10 == 9) (m, n) = (rng.Next(1, 9), rng.Next(Limits.MaxGemm, 8 * Limits.MaxGemm + 1));
        if (caseIndex % 10 == 8) (m, n) = (rng.Next(Limits.MaxGemm, 8 * Limits.MaxGemm + 1), rng.Next(1, 9));
        bool transA = rng.Next(2) == 1, transB = rng.Next(2) == 1;
        float alpha = RandomData.Pick(rng, 1f, 1f, 0.5f, -2f);
        float beta = RandomData.Pick(rng, 0f, 0f, 1f, 0.25f);
        var shape = new GemmShape(m, n, k, transA, transB, alpha, beta);
        var a = RandomData.Uniform(rng, shape.ASize);
        var b = RandomData.Uniform(rng, shape.BSize);
        var c = RandomData.Uniform(rng, shape.CSize);

        using var da = Upload(a);
        using var db = Upload(b);
        using var dc = Upload(c);
        Backend.Gemm(shape, da, db, dc);
        var actual = Download(dc);

        using var scope = torch.NewDisposeScope();
        var ta = transA ? From(a, k, m).t() : From(a, m, k);
        var tb = transB ? From(b, n, k).t() : From(b, k, n);
        var tc = From(c, m, n);
        var expected = Values(ta.matmul(tb) * alpha + tc * beta);
        var magnitude = Values(ta.abs().matmul(tb.abs()) * Math.Abs(alpha) + tc.abs() * Math.Abs(beta));
        Close.Assert(expected, actual, 2e-5f, 1e-6f, $"gemm {shape}", magnitude);
    }
}
