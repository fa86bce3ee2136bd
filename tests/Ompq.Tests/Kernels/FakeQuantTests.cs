using Ompq.Kernels;
using Ompq.Tests.Reference;
using TorchSharp;
using static Ompq.Tests.Reference.TorchTensors;

namespace Ompq.Tests.Kernels;

/// <summary>
/// Fake quantization against a reference composed from torch round/clamp/mul/div. The same IEEE operations
/// are performed in the same order, so results must be exact (ties included: inputs contain exact
/// half-step values, which torch.round sends to even).
/// </summary>
public abstract class FakeQuantTests<TFixture>(TFixture fixture) : KernelTestBase<TFixture>(fixture)
    where TFixture : BackendFixture, IBackendCases
{
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void WeightsPerChannelSymmetric(int caseIndex)
    {
        var rng = CaseRandom("fq-weights", caseIndex);
        int bits = 2 + caseIndex % 7;
        int channels = RandomData.Size(rng, Limits.MaxChannels * 2);
        int perChannel = RandomData.Size(rng, Limits.MaxLength / 10 + 1);
        var w = RandomData.Uniform(rng, (long)channels * perChannel, -rng.NextSingle() * 3f, rng.NextSingle() * 3f + 0.01f);
        if (channels > 1 && rng.Next(3) == 0) Array.Clear(w, 0, perChannel);

        using var dw = Upload(w);
        using var dy = Backend.Allocate(w.Length);
        using var ds = Backend.Allocate(channels);
        Backend.FakeQuantWeightsPerChannel(channels, perChannel, bits, dw, dy, ds);
        var actual = Download(dy);
        var scales = Download(ds);

        using var scope = torch.NewDisposeScope();
        var (y, s) = FakeQuantReference.WeightsPerChannel(From(w, channels, perChannel), bits);
        Close.Exact(Values(s), scales, $"scales channels={channels} perChannel={perChannel} bits={bits}");
        Close.Exact(Values(y), actual, $"weights channels={channels} perChannel={perChannel} bits={bits}");
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void PerTensorUnsignedAndSymmetric(int caseIndex)
    {
        var rng = CaseRandom("fq-tensor", caseIndex);
        int bits = 2 + caseIndex % 7;
        bool unsigned = caseIndex % 2 == 0;
        // Power-of-two ranges make scale·(k + 0.5) exact, so ties are really exercised.
        float range = rng.Next(3) == 0 ? MathF.Pow(2, rng.Next(-2, 3)) * ((1 << (unsigned ? bits : bits - 1)) - 1) : 0.1f + rng.NextSingle() * 5f;
        var quant = unsigned ? QuantParams.Unsigned(bits, range) : QuantParams.Symmetric(bits, range);
        if (caseIndex % 5 == 4) quant = quant with { ZeroPoint = rng.Next(quant.QMin, quant.QMax + 1) };
        int length = RandomData.Size(rng, Limits.MaxLength);
        var x = RandomData.Uniform(rng, length, -1.3f * range, 1.3f * range);
        for (int i = 0; i < length; i += 3) x[i] = quant.Scale * (rng.Next(-(1 << bits), 1 << bits) + 0.5f);

        using var dx = Upload(x);
        using var dy = Backend.Allocate(length);
        Backend.FakeQuantPerTensor(quant, dx, dy, length);
        var actual = Download(dy);

        using var scope = torch.NewDisposeScope();
        var expected = Values(FakeQuantReference.PerTensor(From(x, length), quant.Scale, quant.ZeroPoint, quant.QMin, quant.QMax));
        Close.Exact(expected, actual, $"per-tensor {quant} length={length}");
    }
}
