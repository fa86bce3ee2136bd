using Ompq.Kernels;
using Ompq.Tests.Reference;
using TorchSharp;
using static Ompq.Tests.Reference.TorchTensors;

namespace Ompq.Tests.Kernels;

/// <summary>
/// Straight-through fake-quant gradients: dy passes where qmin ≤ round(x/scale) + zp ≤ qmax (torch's
/// fake_quantize cachemask, i.e. where the forward's clamp does not bind), composed from torch ops. Inputs include
/// exact half steps just outside both ends of the grid, and scales that clip; exact.
/// </summary>
public abstract class FakeQuantBackwardTests<TFixture>(TFixture fixture) : KernelTestBase<TFixture>(fixture)
    where TFixture : BackendFixture, IBackendCases
{
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void WeightsPerChannelPassesInsideTheGrid(int caseIndex)
    {
        var rng = CaseRandom("fq-weights-backward", caseIndex);
        int bits = 2 + caseIndex % 7, qmax = (1 << (bits - 1)) - 1;
        int channels = RandomData.Size(rng, Limits.MaxChannels * 2);
        int perChannel = RandomData.Size(rng, Limits.MaxLength / 10 + 1);
        var w = RandomData.Uniform(rng, (long)channels * perChannel, -2f, 2f);
        var gradient = RandomData.Uniform(rng, w.Length);

        // Scales as the forward computes them, then some channels clipped (scale halved) and one zero scale.
        using var scope = torch.NewDisposeScope();
        var (_, referenceScales) = FakeQuantReference.WeightsPerChannel(From(w, channels, perChannel), bits);
        var scales = Values(referenceScales);
        for (int c = 0; c < channels; c++)
            if (rng.Next(3) == 0) scales[c] *= 0.5f;
        if (channels > 1 && rng.Next(3) == 0) scales[rng.Next(channels)] = 0f;
        for (int c = 0; c < channels; c++)
            if (perChannel > 2 && scales[c] > 0)
            {
                w[(long)c * perChannel] = scales[c] * (qmax + 0.5f);
                w[(long)c * perChannel + 1] = scales[c] * (-qmax - 1.5f);
            }

        using var dw = Upload(w);
        using var ds = Upload(scales);
        using var dGradient = Upload(gradient);
        using var dResult = Backend.Allocate(w.Length);
        Backend.FakeQuantWeightsPerChannelBackward(channels, perChannel, bits, dw, ds, dGradient, dResult);

        var expected = StraightThrough(From(w, channels, perChannel), From(scales, channels, 1), 0, -qmax - 1, qmax,
            From(gradient, channels, perChannel));
        Close.Exact(expected, Download(dResult), $"weights backward channels={channels} perChannel={perChannel} bits={bits}");
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void PerTensorPassesInsideTheGrid(int caseIndex)
    {
        var rng = CaseRandom("fq-tensor-backward", caseIndex);
        int bits = 2 + caseIndex % 7;
        bool unsigned = caseIndex % 2 == 0;
        float range = 0.1f + rng.NextSingle() * 5f;
        var quant = unsigned ? QuantParams.Unsigned(bits, range) : QuantParams.Symmetric(bits, range);
        if (caseIndex % 5 == 4) quant = quant with { ZeroPoint = rng.Next(quant.QMin, quant.QMax + 1) };
        int length = RandomData.Size(rng, Limits.MaxLength);
        bool inPlace = rng.Next(2) == 1;
        var x = RandomData.Uniform(rng, length, -1.5f * range, 1.5f * range);
        // Half steps just outside the grid at both ends: round half to even decides whether they pass.
        for (int i = 0; i < length; i += 5)
            x[i] = quant.Scale * (RandomData.Pick(rng, quant.QMin - 0.5f, quant.QMax + 0.5f, quant.QMin - 1.5f, quant.QMax + 1.5f) - quant.ZeroPoint);
        var gradient = RandomData.Uniform(rng, length);

        using var dx = Upload(x);
        using var dGradient = Upload(gradient);
        using var dResult = inPlace ? null : Backend.Allocate(length);
        var target = dResult ?? dGradient;
        Backend.FakeQuantPerTensorBackward(quant, dx, dGradient, target, length);

        using var scope = torch.NewDisposeScope();
        var expected = StraightThrough(From(x, length), torch.tensor(quant.Scale), quant.ZeroPoint, quant.QMin, quant.QMax, From(gradient, length));
        Close.Exact(expected, Download(target), $"per-tensor backward {quant} length={length} inPlace={inPlace}");
    }

    private static float[] StraightThrough(torch.Tensor x, torch.Tensor scale, int zeroPoint, int qmin, int qmax, torch.Tensor dy)
    {
        var q = (x / scale).round() + zeroPoint;
        var inside = q.ge(qmin).logical_and(q.le(qmax));
        return Values(torch.where(inside, dy, torch.zeros_like(dy)));
    }
}
