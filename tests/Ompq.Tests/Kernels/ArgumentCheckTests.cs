using Ompq.Kernels;

namespace Ompq.Tests.Kernels;

/// <summary>Buffers too small for the shape, or invalid shapes, throw <see cref="KernelArgumentException"/> naming the culprit.</summary>
public abstract class ArgumentCheckTests<TFixture>(TFixture fixture) : KernelTestBase<TFixture>(fixture)
    where TFixture : BackendFixture, IBackendCases
{
    [SkippableFact]
    public void GemmNamesTheShortBuffer()
    {
        var shape = new GemmShape(4, 5, 6);
        using var a = Backend.Allocate(shape.ASize);
        using var b = Backend.Allocate(shape.BSize - 1);
        using var c = Backend.Allocate(shape.CSize);
        var error = Assert.Throws<KernelArgumentException>(() => Backend.Gemm(shape, a, b, c));
        Assert.StartsWith("b holds 29 floats, expected at least 30", error.Message);
    }

    [SkippableFact]
    public void GemmRejectsEmptySizes()
        => Assert.Throws<KernelArgumentException>(() => Backend.Gemm(new GemmShape(0, 1, 1), Backend.Allocate(1), Backend.Allocate(1), Backend.Allocate(1)));

    [SkippableFact]
    public void Conv2dNamesTheShortWeight()
    {
        var shape = Conv2dShape.Square(2, 4, 8, 8, 6, 3, pad: 1);
        using var x = Backend.Allocate(shape.InputSize);
        using var w = Backend.Allocate(shape.WeightSize - 5);
        using var y = Backend.Allocate(shape.OutputSize);
        var error = Assert.Throws<KernelArgumentException>(() => Backend.Conv2d(shape, x, w, null, y));
        Assert.Contains("weight", error.Message);
    }

    [SkippableFact]
    public void Conv2dNamesTheShortOutputAndBias()
    {
        var shape = Conv2dShape.Square(1, 2, 5, 5, 3, 3);
        using var x = Backend.Allocate(shape.InputSize);
        using var w = Backend.Allocate(shape.WeightSize);
        using var bias = Backend.Allocate(2);
        using var y = Backend.Allocate(shape.OutputSize);
        using var shortY = Backend.Allocate(shape.OutputSize - 1);
        Assert.StartsWith("bias", Assert.Throws<KernelArgumentException>(() => Backend.Conv2d(shape, x, w, bias, y)).Message);
        Assert.StartsWith("y", Assert.Throws<KernelArgumentException>(() => Backend.Conv2d(shape, x, w, null, shortY)).Message);
    }

    [SkippableFact]
    public void WindowsLargerThanThePaddedInputAreRejectedOnEveryBackend()
    {
        // 2×2 input, 5×5 window, pad 1: C# division would report a 1×1 output; PyTorch reports none.
        var conv = Conv2dShape.Square(1, 1, 2, 2, 1, 5, pad: 1);
        var pool = Pool2dShape.Square(1, 1, 2, 2, 5, 1, pad: 2);
        using var buffer = Backend.Allocate(1024);
        Assert.Contains("window does not fit", Assert.Throws<KernelArgumentException>(() => Backend.Conv2d(conv, buffer, buffer, null, buffer)).Message);
        Assert.Contains("window does not fit", Assert.Throws<KernelArgumentException>(() => Backend.MaxPool2d(pool with { PadH = 1, PadW = 1 }, buffer, buffer)).Message);
    }

    [SkippableFact]
    public void Conv2dRejectsGroupsThatDoNotDivideChannels()
    {
        var shape = new Conv2dShape(1, 6, 4, 4, 4, 1, 1, Groups: 4);
        using var buffer = Backend.Allocate(1024);
        Assert.Contains("groups", Assert.Throws<KernelArgumentException>(() => Backend.Conv2d(shape, buffer, buffer, null, buffer)).Message);
    }

    [SkippableFact]
    public void LinearNamesTheShortBias()
    {
        var shape = new LinearShape(2, 3, 4);
        using var x = Backend.Allocate(6);
        using var w = Backend.Allocate(12);
        using var bias = Backend.Allocate(3);
        using var y = Backend.Allocate(8);
        Assert.StartsWith("bias", Assert.Throws<KernelArgumentException>(() => Backend.Linear(shape, x, w, bias, y)).Message);
    }

    [SkippableFact]
    public void EpilogueQuantWithBadScaleIsRejected()
    {
        var shape = new LinearShape(1, 2, 2);
        using var buffer = Backend.Allocate(8);
        var epilogue = new Epilogue(Activation.Relu, new QuantParams(0f, 0, 0, 255));
        Assert.Contains("scale", Assert.Throws<KernelArgumentException>(() => Backend.Linear(shape, buffer, buffer, null, buffer, epilogue)).Message);
    }

    [SkippableFact]
    public void FakeQuantRejectsBitsOutsideTwoToEight()
    {
        using var w = Backend.Allocate(8);
        Assert.Contains("bit width", Assert.Throws<KernelArgumentException>(() => Backend.FakeQuantWeightsPerChannel(2, 4, 9, w, w)).Message);
        Assert.Contains("bit width", Assert.Throws<KernelArgumentException>(() => Backend.FakeQuantWeightsPerChannel(2, 4, 1, w, w)).Message);
    }

    [SkippableFact]
    public void FakeQuantNamesTheShortScales()
    {
        using var w = Backend.Allocate(8);
        using var scales = Backend.Allocate(1);
        Assert.StartsWith("scales", Assert.Throws<KernelArgumentException>(() => Backend.FakeQuantWeightsPerChannel(2, 4, 4, w, w, scales)).Message);
    }

    [SkippableFact]
    public void PoolingNamesTheShortOutput()
    {
        var shape = Pool2dShape.Square(1, 3, 8, 8, 2, 2);
        using var x = Backend.Allocate(shape.InputSize);
        using var y = Backend.Allocate(shape.OutputSize - 1);
        Assert.StartsWith("y", Assert.Throws<KernelArgumentException>(() => Backend.MaxPool2d(shape, x, y)).Message);
        Assert.StartsWith("y", Assert.Throws<KernelArgumentException>(() => Backend.AvgPool2d(shape, x, y)).Message);
    }

    [SkippableFact]
    public void GramAndOrthogonalityNameTheShortBuffer()
    {
        using var x = Backend.Allocate(4 * 10);
        using var small = Backend.Allocate(15);
        Assert.StartsWith("k", Assert.Throws<KernelArgumentException>(() => Backend.Gram(4, 10, x, small)).Message);
        Assert.StartsWith("x", Assert.Throws<KernelArgumentException>(() => Backend.Gram(4, 11, x, x)).Message);
        Assert.StartsWith("centered", Assert.Throws<KernelArgumentException>(() => Backend.CenterGram(4, x, small)).Message);
        Assert.StartsWith("products", Assert.Throws<KernelArgumentException>(() => Backend.FrobeniusProducts(4, 10, x, small)).Message);
    }

    [SkippableFact]
    public void ElementwiseNamesTheShortBuffer()
    {
        using var a = Backend.Allocate(10);
        using var b = Backend.Allocate(9);
        Assert.StartsWith("b", Assert.Throws<KernelArgumentException>(() => Backend.Add(a, b, a, 10)).Message);
        Assert.StartsWith("y", Assert.Throws<KernelArgumentException>(() => Backend.Activate(Activation.Relu, a, b, 10)).Message);
        Assert.StartsWith("min", Assert.Throws<KernelArgumentException>(() => Backend.MinMax(1, 10, 1, a, b.Slice(0, 5), a)).Message);
    }

    [SkippableFact]
    public void BatchNormNamesTheShortStatistic()
    {
        var shape = new ChannelShape(2, 4, 9);
        using var x = Backend.Allocate(shape.Size);
        using var c = Backend.Allocate(4);
        using var shortVar = Backend.Allocate(3);
        Assert.StartsWith("runningVar", Assert.Throws<KernelArgumentException>(() => Backend.BatchNormInference(shape, x, c, c, c, shortVar, 1e-5f, x)).Message);
    }
}
