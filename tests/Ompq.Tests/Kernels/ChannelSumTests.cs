using Ompq.Tests.Reference;
using TorchSharp;
using static Ompq.Tests.Reference.TorchTensors;

namespace Ompq.Tests.Kernels;

/// <summary>
/// Per-channel sums of outer×C×inner against a float64 torch sum: conv bias gradients (outer = batch, inner = plane),
/// linear bias gradients (inner = 1, long batches) and per-tensor sums (C = 1). Tolerance: 1e-5 relative to Σ|x|.
/// </summary>
public abstract class ChannelSumTests<TFixture>(TFixture fixture) : KernelTestBase<TFixture>(fixture)
    where TFixture : BackendFixture, IBackendCases
{
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void MatchesTorch(int caseIndex)
    {
        var rng = CaseRandom("channel-sum", caseIndex);
        int kind = caseIndex % 3;
        long outer = kind == 1 ? RandomData.Size(rng, Limits.MaxGemm) : RandomData.Size(rng, Limits.MaxBatch * 3);
        int channels = kind == 2 ? 1 : RandomData.Size(rng, Limits.MaxChannels * 2);
        long inner = kind == 1 ? 1 : RandomData.Size(rng, Limits.MaxLength / 20 + 1);
        var x = RandomData.Uniform(rng, outer * channels * inner);

        using var dx = Upload(x);
        using var dsums = Upload(RandomData.Uniform(rng, channels, 1e6f, 2e6f));
        Backend.ChannelSum(outer, channels, inner, dx, dsums);
        var actual = Download(dsums);

        using var scope = torch.NewDisposeScope();
        var tx = From(x, outer, channels, inner).to_type(torch.float64);
        var expected = Values(tx.sum([0L, 2L]).to_type(torch.float32));
        var magnitude = Values(tx.abs().sum([0L, 2L]).to_type(torch.float32));
        Close.Assert(expected, actual, 1e-5f, 1e-6f, $"channel sum outer={outer} channels={channels} inner={inner}", magnitude);
    }
}
