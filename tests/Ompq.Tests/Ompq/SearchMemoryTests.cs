using Ompq.Kernels.Cpu;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Search;
using Ompq.Runtime.Tensors;

namespace Ompq.Tests.Search;

/// <summary>The memory estimate replays the real forward, and a chunked capture gives the one-forward ORM.</summary>
public sealed class SearchMemoryTests
{
    private static Tensor Batch(CpuKernels kernels, int n, int channels, int size, int seed)
    {
        var rng = new Random(seed);
        var pixels = Enumerable.Range(0, n * channels * size * size).Select(_ => (float)rng.NextDouble()).ToArray();
        return Tensor.FromHost(kernels, pixels, n, channels, size, size);
    }

    [Theory]
    [InlineData("resnet20", 28, 1)]
    [InlineData("resnet18", 64, 3)]
    [InlineData("mobilenet_v2", 64, 3)]
    public void ActivationFootprintEqualsThePoolAfterAForward(string name, int size, int channels)
    {
        using var kernels = new CpuKernels(2);
        using var model = ModelZoo.Create(name, size, seed: 1);
        using var batch = Batch(kernels, 3, channels, size, 2);
        using (model.Forward(batch, SearchMode.Qat)) { }
        int[][] shapes = model.Graph.InferShapes([channels, size, size], model.Parameters);
        Assert.Equal(model.PooledActivationFloats, 3 * ActivationFootprint.PooledFloatsPerImage(model.Graph, shapes));
    }

    [Theory]
    [InlineData(OrmForm.Auto, 28)]
    [InlineData(OrmForm.Gram, 28)]
    [InlineData(OrmForm.Feature, 8)] // small features: the feature form's d×d products stay cheap
    public void ChunkedCaptureGivesTheOneForwardOrm(OrmForm form, int size)
    {
        using var kernels = new CpuKernels(2);
        using var model = ModelZoo.Create("resnet20", size, seed: 3);
        const int n = 22; // chunks of 4 with a short last one
        using var batch = Batch(kernels, n, 1, size, 5);
        var names = model.Units(SearchMode.Qat).Select(u => u.Name).ToArray();
        double[,] Orm(int? perForward)
        {
            using var orm = new OrthogonalityMatrix(kernels, names, n, form);
            FeatureCapture.Run(model, batch, SearchMode.Qat, orm, imagesPerForward: perForward);
            return orm.Compute();
        }
        var whole = Orm(null);
        var chunked = Orm(8);
        for (int i = 0; i < names.Length; i++)
        for (int j = 0; j < names.Length; j++)
            Assert.True(Math.Abs(whole[i, j] - chunked[i, j]) < 2e-5, $"ORM[{names[i]}, {names[j]}]: {whole[i, j]} vs {chunked[i, j]}");
    }

    [Fact]
    public void PlanChunksOnlyWhenTheWholeBatchDoesNotFit()
    {
        using var model = ModelZoo.Create("resnet18", 224, seed: 0);
        var options = new SearchOptions(SearchMode.Qat, 6.7, 10, BitRange.Default(SearchMode.Qat));
        var whole = SearchMemory.Estimate(model, options, 256, 256);
        Assert.Equal(256, SearchMemory.Plan(model, options, 256, whole.Bytes).ImagesPerForward);
        var chunked = SearchMemory.Plan(model, options, 256, whole.Bytes * 2 / 3);
        Assert.True(chunked.Chunked && chunked.Bytes <= whole.Bytes * 2 / 3, $"{chunked.ImagesPerForward} images per forward, {chunked.Bytes} bytes");
        // Growth in the image count is at most linear where the Gram matrices (n² each) are small beside the activations.
        var twice = SearchMemory.Estimate(model, options, 512, 512);
        Assert.True(twice.Bytes - SearchMemory.ProcessBytes <= 2.1 * (whole.Bytes - SearchMemory.ProcessBytes));
        // Batch statistics span the batch: never chunked.
        var batchNorm = options with { BatchNorm = BatchNormMode.Batch };
        Assert.False(SearchMemory.Plan(model, batchNorm, 256, whole.Bytes / 2).Chunked);
        int fits = SearchMemory.LargestImagesThatFit(model, options, 4096, whole.Bytes);
        Assert.InRange(fits, 256, 4095);
        Assert.True(SearchMemory.Plan(model, options, fits, whole.Bytes).Bytes <= whole.Bytes);
        Assert.True(SearchMemory.Plan(model, options, fits + 1, whole.Bytes).Bytes > whole.Bytes);
    }
}
