using Ompq.Kernels;
using Ompq.Kernels.Cpu;
using Ompq.Tests.Reference;

namespace Ompq.Tests.Backends.Cpu;

/// <summary>
/// The reductions of the training ops run in an order fixed by the shape: one worker and three workers must give
/// bit-identical results, including shapes whose planes do not split evenly over the workers.
/// </summary>
public sealed class CpuTrainingDeterminismTests
{
    public static IEnumerable<object[]> Shapes =>
    [
        [5, 3, 97L],
        [7, 16, 49L],
        [128, 2, 1L],
        [2, 33, 784L],
    ];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BatchNormTrainingIsIndependentOfThreadCount(int n, int c, long spatial)
    {
        var shape = new ChannelShape(n, c, spatial);
        var rng = new Random(n * 1000 + c);
        var x = RandomData.Uniform(rng, shape.Size, -3f, 5f);
        var dy = RandomData.Uniform(rng, shape.Size);
        var gamma = RandomData.Uniform(rng, c, 0.5f, 2f);
        var beta = RandomData.Uniform(rng, c);
        Assert.Equal(BatchNormOutputs(1, shape, x, dy, gamma, beta), BatchNormOutputs(3, shape, x, dy, gamma, beta));
    }

    [Theory]
    [InlineData(1, 10)]
    [InlineData(128, 10)]
    [InlineData(37, 1000)]
    public void SoftmaxCrossEntropyIsIndependentOfThreadCount(int batch, int classes)
    {
        var rng = new Random(batch + classes);
        var logits = RandomData.Uniform(rng, (long)batch * classes, -10f, 10f);
        var labels = Enumerable.Range(0, batch).Select(_ => (float)rng.Next(classes)).ToArray();
        Assert.Equal(SoftmaxOutputs(1, batch, classes, logits, labels), SoftmaxOutputs(3, batch, classes, logits, labels));
    }

    /// <summary>y, saveMean, saveInvStd, running statistics, dx, dgamma, dbeta as raw bits.</summary>
    private static int[] BatchNormOutputs(int threads, ChannelShape shape, float[] x, float[] dy, float[] gamma, float[] beta)
    {
        using var kernels = new CpuKernels(threads);
        using var dx = Load(kernels, x);
        using var dGradient = Load(kernels, dy);
        using var dGamma = Load(kernels, gamma);
        using var dBeta = Load(kernels, beta);
        using var runningMean = Load(kernels, new float[shape.C]);
        using var runningVar = Load(kernels, Enumerable.Repeat(1f, shape.C).ToArray());
        using var y = kernels.Allocate(shape.Size);
        using var saveMean = kernels.Allocate(shape.C);
        using var saveInvStd = kernels.Allocate(shape.C);
        using var inputGradient = kernels.Allocate(shape.Size);
        using var gammaGradient = kernels.Allocate(shape.C);
        using var betaGradient = kernels.Allocate(shape.C);
        kernels.BatchNormTrainingForward(shape, dx, dGamma, dBeta, runningMean, runningVar, 0.1f, 1e-5f, y, saveMean, saveInvStd);
        kernels.BatchNormBackward(shape, dx, dGradient, dGamma, saveMean, saveInvStd, inputGradient, gammaGradient, betaGradient);
        return Bits(kernels, y, saveMean, saveInvStd, runningMean, runningVar, inputGradient, gammaGradient, betaGradient);
    }

    private static int[] SoftmaxOutputs(int threads, int batch, int classes, float[] logits, float[] labels)
    {
        using var kernels = new CpuKernels(threads);
        using var dLogits = Load(kernels, logits);
        using var dLabels = Load(kernels, labels);
        using var losses = kernels.Allocate(batch);
        using var gradient = kernels.Allocate((long)batch * classes);
        kernels.SoftmaxCrossEntropy(batch, classes, dLogits, dLabels, losses, gradient);
        return Bits(kernels, losses, gradient);
    }

    private static DeviceBuffer Load(CpuKernels kernels, float[] data)
    {
        var buffer = kernels.Allocate(data.Length);
        kernels.Upload(data, buffer);
        return buffer;
    }

    private static int[] Bits(CpuKernels kernels, params DeviceBuffer[] buffers)
    {
        var bits = new List<int>();
        foreach (var buffer in buffers)
        {
            var values = new float[buffer.Length];
            kernels.Download(buffer, values);
            bits.AddRange(values.Select(BitConverter.SingleToInt32Bits));
        }
        return [.. bits];
    }
}
