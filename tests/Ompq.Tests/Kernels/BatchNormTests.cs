using Ompq.Kernels;
using Ompq.Tests.Reference;
using TorchSharp;
using static Ompq.Tests.Reference.TorchTensors;

namespace Ompq.Tests.Kernels;

/// <summary>Inference batch-norm (+ activation) against torch.nn.functional.batch_norm. Tolerance: 1e-5 relative to |x·a| + |mean·a| + |beta|, a = gamma/√(var+eps).</summary>
public abstract class BatchNormTests<TFixture>(TFixture fixture) : KernelTestBase<TFixture>(fixture)
    where TFixture : BackendFixture, IBackendCases
{
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void MatchesTorch(int caseIndex)
    {
        var rng = CaseRandom("batchnorm", caseIndex);
        var shape = new ChannelShape(RandomData.Size(rng, Limits.MaxBatch), RandomData.Size(rng, Limits.MaxChannels * 2),
            RandomData.Size(rng, Limits.MaxSpatial * Limits.MaxSpatial));
        var activation = RandomData.Pick(rng, Activation.None, Activation.Relu, Activation.Relu6);
        float eps = RandomData.Pick(rng, 1e-5f, 1e-3f);
        var x = RandomData.Uniform(rng, shape.Size, -4f, 4f);
        var gamma = RandomData.Uniform(rng, shape.C, -2f, 2f);
        var beta = RandomData.Uniform(rng, shape.C, -2f, 2f);
        var mean = RandomData.Uniform(rng, shape.C, -1f, 1f);
        var variance = RandomData.Uniform(rng, shape.C, 0.01f, 3f);

        using var dx = Upload(x);
        using var dg = Upload(gamma);
        using var db = Upload(beta);
        using var dm = Upload(mean);
        using var dv = Upload(variance);
        using var dy = Backend.Allocate(shape.Size);
        Backend.BatchNormInference(shape, dx, dg, db, dm, dv, eps, dy, activation);
        var actual = Download(dy);

        using var scope = torch.NewDisposeScope();
        var tx = From(x, shape.N, shape.C, shape.Spatial);
        var tm = From(mean, shape.C);
        var tv = From(variance, shape.C);
        var tg = From(gamma, shape.C);
        var tb = From(beta, shape.C);
        var y = torch.nn.functional.batch_norm(tx, tm, tv, tg, tb, training: false, eps: eps);
        var expected = Values(TorchActivation.Apply(activation, y));
        var a = (tg / (tv + eps).sqrt()).abs().reshape(1, shape.C, 1);
        var magnitude = Values(tx.abs() * a + (tm.abs().reshape(1, shape.C, 1) * a) + tb.abs().reshape(1, shape.C, 1));
        Close.Assert(expected, actual, 1e-5f, 1e-6f, $"batchnorm {shape} {activation} eps={eps}", magnitude);
    }
}
