using Ompq.Kernels;
using Ompq.Tests.Reference;
using TorchSharp;
using static Ompq.Tests.Reference.TorchTensors;

namespace Ompq.Tests.Kernels;

/// <summary>
/// Pooling gradients against torch autograd through max_pool2d, avg_pool2d (count_include_pad both ways) and mean.
/// Exact: each gradient is scattered in torch's order (row-major over outputs), so overlapping windows sum alike.
/// </summary>
public abstract class PoolingBackwardTests<TFixture>(TFixture fixture) : KernelTestBase<TFixture>(fixture)
    where TFixture : BackendFixture, IBackendCases
{
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void MaxPoolBackwardMatchesTorch(int caseIndex)
    {
        var (shape, x, gradient) = RandomPool("maxpool-backward", caseIndex, countIncludePad: true);
        // Every fourth case has many ties, where the first maximum in row-major order (torch's choice) must win.
        if (caseIndex % 4 == 3) x = x.Select(v => MathF.Round(v)).ToArray();
        using var dx = Upload(x);
        using var dGradient = Upload(gradient);
        using var dInputGradient = Backend.Allocate(shape.InputSize);
        Backend.Fill(dInputGradient, float.NaN);
        Backend.MaxPool2dBackward(shape, dx, dGradient, dInputGradient);
        var actual = Download(dInputGradient);

        using var scope = torch.NewDisposeScope();
        var tx = From(x, shape.N, shape.C, shape.H, shape.W).requires_grad_();
        var y = torch.nn.functional.max_pool2d(tx, [shape.R, shape.S], [shape.StrideH, shape.StrideW], [shape.PadH, shape.PadW]);
        y.backward([From(gradient, shape.N, shape.C, shape.P, shape.Q)]);
        Close.Exact(Values(tx.grad!), actual, $"maxpool backward {shape}");
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void AvgPoolBackwardMatchesTorch(int caseIndex)
    {
        var (shape, _, gradient) = RandomPool("avgpool-backward", caseIndex, countIncludePad: caseIndex % 2 == 0);
        using var dGradient = Upload(gradient);
        using var dInputGradient = Backend.Allocate(shape.InputSize);
        Backend.Fill(dInputGradient, float.NaN);
        Backend.AvgPool2dBackward(shape, dGradient, dInputGradient);
        var actual = Download(dInputGradient);

        using var scope = torch.NewDisposeScope();
        var tx = torch.zeros(shape.N, shape.C, shape.H, shape.W).requires_grad_();
        var y = torch.nn.functional.avg_pool2d(tx, [shape.R, shape.S], [shape.StrideH, shape.StrideW], [shape.PadH, shape.PadW],
            ceil_mode: false, count_include_pad: shape.CountIncludePad);
        y.backward([From(gradient, shape.N, shape.C, shape.P, shape.Q)]);
        Close.Exact(Values(tx.grad!), actual, $"avgpool backward {shape}");
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void GlobalAvgPoolBackwardMatchesTorch(int caseIndex)
    {
        var rng = CaseRandom("globalpool-backward", caseIndex);
        var shape = new ChannelShape(RandomData.Size(rng, Limits.MaxBatch), RandomData.Size(rng, Limits.MaxChannels),
            RandomData.Size(rng, Limits.MaxSpatial * Limits.MaxSpatial));
        var gradient = RandomData.Uniform(rng, (long)shape.N * shape.C);
        using var dGradient = Upload(gradient);
        using var dInputGradient = Backend.Allocate(shape.Size);
        Backend.GlobalAvgPoolBackward(shape, dGradient, dInputGradient);
        var actual = Download(dInputGradient);

        using var scope = torch.NewDisposeScope();
        var tx = torch.zeros(shape.N, shape.C, shape.Spatial).requires_grad_();
        tx.mean([2L]).backward([From(gradient, shape.N, shape.C)]);
        Close.Exact(Values(tx.grad!), actual, $"global avgpool backward {shape}");
    }

    private (Pool2dShape Shape, float[] X, float[] Gradient) RandomPool(string family, int caseIndex, bool countIncludePad)
    {
        var rng = CaseRandom(family, caseIndex);
        for (; ; )
        {
            int r = rng.Next(1, 5), s = rng.Next(1, 5);
            var shape = new Pool2dShape(RandomData.Size(rng, Limits.MaxBatch), RandomData.Size(rng, Limits.MaxChannels),
                RandomData.Size(rng, Limits.MaxSpatial), RandomData.Size(rng, Limits.MaxSpatial), r, s,
                rng.Next(1, 4), rng.Next(1, 4), rng.Next(0, r / 2 + 1), rng.Next(0, s / 2 + 1), countIncludePad);
            if (ShapeRules.WindowFits(shape))
                return (shape, RandomData.Uniform(rng, shape.InputSize, -3f, 3f), RandomData.Uniform(rng, shape.OutputSize));
        }
    }
}
