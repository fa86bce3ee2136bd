using Ompq.Tests.Reference;
using TorchSharp;
using static Ompq.Tests.Reference.TorchTensors;

namespace Ompq.Tests.Kernels;

/// <summary>Min/max per channel (outer×C×inner), per tensor (C = 1) and per row (outer = 1) against torch amin/amax; exact.</summary>
public abstract class MinMaxTests<TFixture>(TFixture fixture) : KernelTestBase<TFixture>(fixture)
    where TFixture : BackendFixture, IBackendCases
{
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void MatchesTorch(int caseIndex)
    {
        var rng = CaseRandom("minmax", caseIndex);
        int kind = caseIndex % 3;
        long outer = kind == 2 ? 1 : RandomData.Size(rng, Limits.MaxBatch * 3);
        int channels = kind == 1 ? 1 : RandomData.Size(rng, Limits.MaxChannels * 2);
        long inner = RandomData.Size(rng, Limits.MaxLength / 20 + 1);
        float offset = rng.NextSingle() * 4f - 2f;
        var x = RandomData.Uniform(rng, outer * channels * inner, offset - 1f, offset + 1f);

        using var dx = Upload(x);
        using var dmin = Backend.Allocate(channels);
        using var dmax = Backend.Allocate(channels);
        Backend.MinMax(outer, channels, inner, dx, dmin, dmax);
        var min = Download(dmin);
        var max = Download(dmax);

        using var scope = torch.NewDisposeScope();
        var tx = From(x, outer, channels, inner);
        Close.Exact(Values(tx.amin([0L, 2L])), min, $"min outer={outer} channels={channels} inner={inner}");
        Close.Exact(Values(tx.amax([0L, 2L])), max, $"max outer={outer} channels={channels} inner={inner}");
    }
}
