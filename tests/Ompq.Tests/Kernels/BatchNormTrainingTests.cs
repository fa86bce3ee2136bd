using Ompq.Kernels;
using Ompq.Tests.Reference;
using TorchSharp;
using static Ompq.Tests.Reference.TorchTensors;

namespace Ompq.Tests.Kernels;

/// <summary>
/// Training batch-norm against torch.nn.functional.batch_norm(training: true) and its autograd. Inputs carry a
/// per-channel offset larger than their spread, so a one-pass variance would show. Tolerances: statistics and y
/// 2e-5 relative to the magnitudes the fp32 sums run over; gradients 2e-5 relative to Σ|terms|.
/// </summary>
public abstract class BatchNormTrainingTests<TFixture>(TFixture fixture) : KernelTestBase<TFixture>(fixture)
    where TFixture : BackendFixture, IBackendCases
{
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void ForwardMatchesTorch(int caseIndex)
    {
        var rng = CaseRandom("batchnorm-training", caseIndex);
        var (shape, x) = RandomInput(rng);
        float momentum = RandomData.Pick(rng, 0.1f, 0.01f, 0.5f, 1f);
        float eps = RandomData.Pick(rng, 1e-5f, 1e-3f);
        var gamma = RandomData.Uniform(rng, shape.C, -2f, 2f);
        var beta = RandomData.Uniform(rng, shape.C, -2f, 2f);
        var runningMean = RandomData.Uniform(rng, shape.C, -1f, 1f);
        var runningVar = RandomData.Uniform(rng, shape.C, 0.1f, 3f);

        using var dx = Upload(x);
        using var dg = Upload(gamma);
        using var db = Upload(beta);
        using var drm = Upload(runningMean);
        using var drv = Upload(runningVar);
        using var dy = Backend.Allocate(shape.Size);
        using var dMean = Backend.Allocate(shape.C);
        using var dInvStd = Backend.Allocate(shape.C);
        Backend.BatchNormTrainingForward(shape, dx, dg, db, drm, drv, momentum, eps, dy, dMean, dInvStd);
        var y = Download(dy);
        var saveMean = Download(dMean);
        var saveInvStd = Download(dInvStd);
        var newRunningMean = Download(drm);
        var newRunningVar = Download(drv);

        var (mean, variance, absMean) = ChannelStatistics(shape, x);
        var context = $"batchnorm training {shape} momentum={momentum} eps={eps}";
        Close.Assert(mean.Select(v => (float)v).ToArray(), saveMean, 2e-6f, 1e-7f, $"{context} mean", absMean);
        Close.Assert(variance.Select(v => (float)(1 / Math.Sqrt(v + eps))).ToArray(), saveInvStd, 2e-5f, 0f, $"{context} invStd");

        using var scope = torch.NewDisposeScope();
        var trm = From(runningMean, shape.C);
        var trv = From(runningVar, shape.C);
        var tx = From(x, shape.N, shape.C, shape.Spatial);
        var ty = torch.nn.functional.batch_norm(tx, trm, trv, From(gamma, shape.C), From(beta, shape.C),
            training: true, momentum: momentum, eps: eps);
        var yMagnitude = new float[y.Length];
        for (long i = 0; i < y.Length; i++)
        {
            int c = (int)(i / shape.Spatial % shape.C);
            double scale = Math.Abs(gamma[c] / Math.Sqrt(variance[c] + eps));
            yMagnitude[i] = (float)((Math.Abs(x[i]) + Math.Abs(mean[c])) * scale + Math.Abs(beta[c]));
        }
        Close.Assert(Values(ty), y, 2e-5f, 1e-6f, $"{context} y", yMagnitude);
        var meanMagnitude = Enumerable.Range(0, shape.C).Select(c => Math.Abs(runningMean[c]) + absMean[c]).ToArray();
        Close.Assert(Values(trm), newRunningMean, 2e-6f, 1e-7f, $"{context} runningMean", meanMagnitude);
        Close.Assert(Values(trv), newRunningVar, 2e-5f, 1e-7f, $"{context} runningVar");
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void BackwardMatchesTorchAutograd(int caseIndex)
    {
        var rng = CaseRandom("batchnorm-backward", caseIndex);
        var (shape, x) = RandomInput(rng);
        float eps = RandomData.Pick(rng, 1e-5f, 1e-3f);
        var gamma = RandomData.Uniform(rng, shape.C, -2f, 2f);
        var beta = RandomData.Uniform(rng, shape.C, -2f, 2f);
        var gradient = RandomData.Uniform(rng, shape.Size);
        bool inPlace = rng.Next(2) == 1;

        using var dx = Upload(x);
        using var dg = Upload(gamma);
        using var db = Upload(beta);
        using var drm = Upload(new float[shape.C]);
        using var drv = Upload(new float[shape.C]);
        using var dy = Backend.Allocate(shape.Size);
        using var dMean = Backend.Allocate(shape.C);
        using var dInvStd = Backend.Allocate(shape.C);
        Backend.BatchNormTrainingForward(shape, dx, dg, db, drm, drv, 0.1f, eps, dy, dMean, dInvStd);
        using var dGradient = Upload(gradient);
        using var dInputGradient = inPlace ? null : Backend.Allocate(shape.Size);
        var inputGradientTarget = dInputGradient ?? dGradient;
        using var dGamma = Backend.Allocate(shape.C);
        using var dBeta = Backend.Allocate(shape.C);
        Backend.BatchNormBackward(shape, dx, dGradient, dg, dMean, dInvStd, inputGradientTarget, dGamma, dBeta);
        var inputGradient = Download(inputGradientTarget);
        var gammaGradient = Download(dGamma);
        var betaGradient = Download(dBeta);

        using var scope = torch.NewDisposeScope();
        var tx = From(x, shape.N, shape.C, shape.Spatial).requires_grad_();
        var tg = From(gamma, shape.C).requires_grad_();
        var tb = From(beta, shape.C).requires_grad_();
        var ty = torch.nn.functional.batch_norm(tx, From(new float[shape.C], shape.C), From(new float[shape.C], shape.C), tg, tb,
            training: true, momentum: 0.1, eps: eps);
        ty.backward([From(gradient, shape.N, shape.C, shape.Spatial)]);

        // Magnitudes: Σ|dy|, Σ|dy·x̂| per channel and, for dx, |gamma·invStd|·(|dy| + Σ|dy|/M + |x̂|·Σ|dy·x̂|/M).
        var (mean, variance, _) = ChannelStatistics(shape, x);
        var absSum = new double[shape.C];
        var absDot = new double[shape.C];
        var normalized = new double[x.Length];
        for (long i = 0; i < x.Length; i++)
        {
            int c = (int)(i / shape.Spatial % shape.C);
            normalized[i] = (x[i] - mean[c]) / Math.Sqrt(variance[c] + eps);
            absSum[c] += Math.Abs(gradient[i]);
            absDot[c] += Math.Abs(gradient[i] * normalized[i]);
        }
        double count = (double)shape.N * shape.Spatial;
        var dxMagnitude = new float[x.Length];
        for (long i = 0; i < x.Length; i++)
        {
            int c = (int)(i / shape.Spatial % shape.C);
            double scale = Math.Abs(gamma[c] / Math.Sqrt(variance[c] + eps));
            dxMagnitude[i] = (float)(scale * (Math.Abs(gradient[i]) + absSum[c] / count + Math.Abs(normalized[i]) * absDot[c] / count));
        }
        var context = $"batchnorm backward {shape} eps={eps} inPlace={inPlace}";
        Close.Assert(Values(tb.grad!), betaGradient, 2e-5f, 1e-6f, $"{context} dbeta", absSum.Select(v => (float)v).ToArray());
        Close.Assert(Values(tg.grad!), gammaGradient, 2e-5f, 1e-6f, $"{context} dgamma", absDot.Select(v => (float)v).ToArray());
        Close.Assert(Values(tx.grad!), inputGradient, 2e-5f, 1e-7f, $"{context} dx", dxMagnitude);
    }

    /// <summary>A shape with at least two values per channel and x = offset_c + U(−2, 2), offsets up to ±6.</summary>
    private (ChannelShape Shape, float[] X) RandomInput(Random rng)
    {
        var shape = new ChannelShape(RandomData.Size(rng, Limits.MaxBatch), RandomData.Size(rng, Limits.MaxChannels * 2),
            RandomData.Size(rng, Limits.MaxSpatial * Limits.MaxSpatial));
        if (shape.N * shape.Spatial < 2) shape = shape with { Spatial = 2 };
        var offsets = RandomData.Uniform(rng, shape.C, -6f, 6f);
        var x = RandomData.Uniform(rng, shape.Size, -2f, 2f);
        for (long i = 0; i < x.Length; i++) x[i] += offsets[i / shape.Spatial % shape.C];
        return (shape, x);
    }

    /// <summary>Per channel in double: mean, biased variance and mean |x| (the scale of the mean's rounding).</summary>
    private static (double[] Mean, double[] Variance, float[] AbsMean) ChannelStatistics(ChannelShape shape, float[] x)
    {
        var mean = new double[shape.C];
        var variance = new double[shape.C];
        var absMean = new float[shape.C];
        double count = (double)shape.N * shape.Spatial;
        for (long i = 0; i < x.Length; i++)
        {
            int c = (int)(i / shape.Spatial % shape.C);
            mean[c] += x[i];
            absMean[c] += (float)(Math.Abs(x[i]) / count);
        }
        for (int c = 0; c < shape.C; c++) mean[c] /= count;
        for (long i = 0; i < x.Length; i++)
        {
            int c = (int)(i / shape.Spatial % shape.C);
            variance[c] += (x[i] - mean[c]) * (x[i] - mean[c]);
        }
        for (int c = 0; c < shape.C; c++) variance[c] /= count;
        return (mean, variance, absMean);
    }
}
