using Ompq.Kernels;

namespace Ompq.Tests.Kernels;

/// <summary>Training ops: short buffers, bad labels and bad hyper-parameters throw <see cref="KernelArgumentException"/> naming the culprit.</summary>
public abstract class TrainingArgumentCheckTests<TFixture>(TFixture fixture) : KernelTestBase<TFixture>(fixture)
    where TFixture : BackendFixture, IBackendCases
{
    [SkippableFact]
    public void SoftmaxCrossEntropyNamesTheRowOfABadLabelAndWritesNothing()
    {
        // The contract: the cpu backend checks labels and throws; a device cannot throw from a kernel (and reading the
        // labels back would stall its queue), so there a bad label yields a NaN loss instead (next test).
        Skip.If(Backend.Info.Id != "cpu", "devices report bad labels as NaN losses");
        using var logits = Backend.Allocate(3 * 4);
        using var losses = Backend.Allocate(3);
        using var gradient = Backend.Allocate(3 * 4);
        Backend.Fill(logits, 0f);
        Backend.Fill(losses, 7f);
        foreach (float bad in new[] { 4f, -1f, 1.5f, float.NaN })
        {
            using var labels = Backend.Allocate(3);
            Backend.Upload([0f, 3f, bad], labels);
            var error = Assert.Throws<KernelArgumentException>(() => Backend.SoftmaxCrossEntropy(3, 4, logits, labels, losses, gradient));
            Assert.Contains("row 2", error.Message);
        }
        Assert.All(Download(losses), v => Assert.Equal(7f, v));
    }

    [SkippableFact]
    public void SoftmaxCrossEntropyOnADeviceGivesABadLabelANaNLoss()
    {
        Skip.If(Backend.Info.Id == "cpu", "the cpu backend throws on a bad label (previous test)");
        using var logits = Backend.Allocate(3 * 4);
        using var losses = Backend.Allocate(3);
        using var gradient = Backend.Allocate(3 * 4);
        Backend.Fill(logits, 0f);
        foreach (float bad in new[] { 4f, -1f, 1.5f, float.NaN })
        {
            using var labels = Backend.Allocate(3);
            Backend.Upload([0f, 3f, bad], labels);
            Backend.SoftmaxCrossEntropy(3, 4, logits, labels, losses, gradient);
            var values = Download(losses);
            Assert.Equal(MathF.Log(4f), values[0], 1e-6f);
            Assert.Equal(MathF.Log(4f), values[1], 1e-6f);
            Assert.True(float.IsNaN(values[2]), $"label {bad}: loss {values[2]}, expected NaN");
        }
    }

    [SkippableFact]
    public void SoftmaxCrossEntropyNamesTheShortBuffer()
    {
        using var logits = Backend.Allocate(3 * 4);
        using var labels = Backend.Allocate(3);
        using var shortGradient = Backend.Allocate(11);
        Backend.Fill(labels, 0f);
        Assert.StartsWith("dlogits", Assert.Throws<KernelArgumentException>(() => Backend.SoftmaxCrossEntropy(3, 4, logits, labels, labels, shortGradient)).Message);
        Assert.StartsWith("labels", Assert.Throws<KernelArgumentException>(() => Backend.SoftmaxCrossEntropy(3, 4, logits, labels.Slice(0, 2), labels, logits)).Message);
    }

    [SkippableFact]
    public void BatchNormTrainingRejectsBadMomentumAndSingleValueChannels()
    {
        var shape = new ChannelShape(2, 3, 5);
        using var x = Backend.Allocate(shape.Size);
        using var c = Backend.Allocate(3);
        Assert.Contains("momentum", Assert.Throws<KernelArgumentException>(() => Backend.BatchNormTrainingForward(shape, x, c, c, c, c, 1.5f, 1e-5f, x, c, c)).Message);
        Assert.Contains("eps", Assert.Throws<KernelArgumentException>(() => Backend.BatchNormTrainingForward(shape, x, c, c, c, c, 0.1f, -1f, x, c, c)).Message);
        var single = new ChannelShape(1, 3, 1);
        Assert.Contains("more than one value", Assert.Throws<KernelArgumentException>(() => Backend.BatchNormTrainingForward(single, x, c, c, c, c, 0.1f, 1e-5f, x, c, c)).Message);
    }

    [SkippableFact]
    public void BatchNormTrainingNamesTheShortBuffer()
    {
        var shape = new ChannelShape(2, 4, 9);
        using var x = Backend.Allocate(shape.Size);
        using var c = Backend.Allocate(4);
        using var shortC = Backend.Allocate(3);
        Assert.StartsWith("saveInvStd", Assert.Throws<KernelArgumentException>(() => Backend.BatchNormTrainingForward(shape, x, c, c, c, c, 0.1f, 1e-5f, x, c, shortC)).Message);
        Assert.StartsWith("dgamma", Assert.Throws<KernelArgumentException>(() => Backend.BatchNormBackward(shape, x, x, c, c, c, x, shortC, c)).Message);
        Assert.StartsWith("dy", Assert.Throws<KernelArgumentException>(() => Backend.BatchNormBackward(shape, x, x.Slice(0, shape.Size - 1), c, c, c, x, c, c)).Message);
    }

    [SkippableFact]
    public void PoolingBackwardNamesTheShortBuffer()
    {
        var shape = Pool2dShape.Square(1, 3, 8, 8, 2, 2);
        using var x = Backend.Allocate(shape.InputSize);
        using var dy = Backend.Allocate(shape.OutputSize);
        using var shortDx = Backend.Allocate(shape.InputSize - 1);
        Assert.StartsWith("dx", Assert.Throws<KernelArgumentException>(() => Backend.MaxPool2dBackward(shape, x, dy, shortDx)).Message);
        Assert.StartsWith("dy", Assert.Throws<KernelArgumentException>(() => Backend.AvgPool2dBackward(shape, dy.Slice(0, 2), x)).Message);
        Assert.StartsWith("dx", Assert.Throws<KernelArgumentException>(() => Backend.GlobalAvgPoolBackward(new ChannelShape(1, 3, 64), dy, shortDx)).Message);
    }

    [SkippableFact]
    public void ElementwiseGradientsNameTheShortBuffer()
    {
        using var a = Backend.Allocate(10);
        using var b = Backend.Allocate(9);
        Assert.StartsWith("dy", Assert.Throws<KernelArgumentException>(() => Backend.ActivateBackward(Activation.Relu, a, b, a, 10)).Message);
        Assert.StartsWith("y", Assert.Throws<KernelArgumentException>(() => Backend.Axpy(2f, a, b, 10)).Message);
        Assert.StartsWith("dx", Assert.Throws<KernelArgumentException>(() => Backend.FakeQuantPerTensorBackward(QuantParams.Unsigned(8, 1f), a, a, b, 10)).Message);
        Assert.StartsWith("scales", Assert.Throws<KernelArgumentException>(() => Backend.FakeQuantWeightsPerChannelBackward(2, 5, 4, a, b.Slice(0, 1), a, a)).Message);
        Assert.Contains("bit width", Assert.Throws<KernelArgumentException>(() => Backend.FakeQuantWeightsPerChannelBackward(2, 5, 9, a, a, a, a)).Message);
    }

    [SkippableFact]
    public void OptimizerStepsRejectBadHyperParametersAndShortState()
    {
        using var a = Backend.Allocate(10);
        using var b = Backend.Allocate(9);
        Assert.Contains("momentum", Assert.Throws<KernelArgumentException>(() => Backend.SgdStep(new SgdStep(0.1f, Momentum: 1f), a, a, a, 10)).Message);
        Assert.Contains("learning rate", Assert.Throws<KernelArgumentException>(() => Backend.SgdStep(new SgdStep(float.NaN), a, a, a, 10)).Message);
        Assert.Contains("Nesterov", Assert.Throws<KernelArgumentException>(() => Backend.SgdStep(new SgdStep(0.1f, Nesterov: true), a, a, a, 10)).Message);
        Assert.StartsWith("momentumBuffer", Assert.Throws<KernelArgumentException>(() => Backend.SgdStep(new SgdStep(0.1f, 0.9f), a, a, b, 10)).Message);
        Assert.Contains("step", Assert.Throws<KernelArgumentException>(() => Backend.AdamStep(new AdamStep(1e-3f, 0), a, a, a, a, 10)).Message);
        Assert.Contains("betas", Assert.Throws<KernelArgumentException>(() => Backend.AdamStep(new AdamStep(1e-3f, 1, Beta2: 1f), a, a, a, a, 10)).Message);
        Assert.Contains("eps", Assert.Throws<KernelArgumentException>(() => Backend.AdamStep(new AdamStep(1e-3f, 1, Eps: 0f), a, a, a, a, 10)).Message);
        Assert.StartsWith("v", Assert.Throws<KernelArgumentException>(() => Backend.AdamStep(new AdamStep(1e-3f, 1), a, a, a, b, 10)).Message);
    }

    [SkippableFact]
    public void SgdWithoutMomentumIgnoresTheBufferSlice()
    {
        using var param = Backend.Allocate(10);
        using var grad = Backend.Allocate(10);
        using var unused = Backend.Allocate(1);
        Backend.Fill(param, 1f);
        Backend.Fill(grad, 2f);
        Backend.SgdStep(new SgdStep(0.25f), param, grad, unused, 10);
        Assert.All(Download(param), v => Assert.Equal(0.5f, v));
    }
}
