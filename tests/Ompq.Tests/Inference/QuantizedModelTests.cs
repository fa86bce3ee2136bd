using Ompq.Runtime.Export;
using Ompq.Runtime.Inference;
using Ompq.Tests.Training;

namespace Ompq.Tests.Inference;

/// <summary>The embeddable API: concurrent calls equal a single-threaded run, bad input is refused by type and leaves the model usable, steady calls do not allocate.</summary>
public sealed class QuantizedModelTests
{
    private static readonly Lazy<(QuantizedNetwork Network, float[] Images)> Shared = new(() =>
        (TestNetworks.Resnet20(seed: 5, bits: i => 4 + i % 5), TestNetworks.Images(new SyntheticLabelledImages(64, 10, 28, seed: 21), 64)));

    [Fact]
    public void ThousandsOfConcurrentCallsEqualASingleThreadedRun()
    {
        var (network, images) = Shared.Value;
        using var model = QuantizedModel.Create(network);
        int size = model.ImageSize, classes = model.OutputsPerImage, count = images.Length / size;
        var expected = new float[count][];
        for (int i = 0; i < count; i++) expected[i] = model.Predict(images.AsSpan(i * size, size));

        const int calls = 1200, threads = 6;
        var mismatches = 0;
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var logits = new float[classes];
            for (int call = t; call < calls; call += threads)
            {
                int image = (call * 7) % count;
                model.Predict(images.AsSpan(image * size, size), logits);
                if (!logits.AsSpan().SequenceEqual(expected[image])) Interlocked.Increment(ref mismatches);
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        Assert.Equal(0, mismatches);

        // Batches give the same logits as single images.
        var batch = model.Predict(images);
        for (int i = 0; i < count; i++) Assert.Equal(expected[i], batch.AsSpan(i * classes, classes).ToArray());
    }

    [Fact]
    public void BadInputThrowsTypedExceptionsAndTheModelStaysUsable()
    {
        var (network, images) = Shared.Value;
        using var model = QuantizedModel.Create(network);
        int size = model.ImageSize;
        var one = images.AsSpan(0, size).ToArray();
        var expected = model.Predict(one);
        var logits = new float[10];

        Assert.Throws<PredictInputException>(() => model.Predict(one.AsSpan(0, size - 1), logits));
        Assert.Throws<PredictInputException>(() => model.Predict(one, new[] { 1, 3, 28, 28 }, logits));
        Assert.Throws<PredictInputException>(() => model.Predict(one, new[] { 2, 1, 28, 28 }, logits));
        Assert.Throws<PredictInputException>(() => model.Predict(one, logits.AsSpan(0, 9)));
        var nan = (float[])one.Clone();
        nan[100] = float.NaN;
        var e = Assert.Throws<PredictInputException>(() => model.Predict(nan, logits));
        Assert.Contains("non-finite", e.Message);
        Assert.Throws<PredictInputException>(() => model.TopK(one, 11));

        Assert.Equal(expected, model.Predict(one));
        model.Predict(one, new[] { 1, 1, 28, 28 }, logits);
        Assert.Equal(expected, logits);
        var top = model.TopK(one, 3);
        Assert.Equal(Array.IndexOf(expected, expected.Max()), top[0].Class);
        Assert.True(top[0].Logit >= top[1].Logit && top[1].Logit >= top[2].Logit);
    }

    [Fact]
    public void BadFilesThrowModelFileExceptions()
    {
        string dir = Cli.CliRunner.TempDir();
        string missing = Path.Combine(dir, "missing.safetensors");
        Assert.Throws<ModelFileException>(() => QuantizedModel.Load(missing));
        string text = Path.Combine(dir, "text.safetensors");
        File.WriteAllText(text, "hello");
        Assert.Throws<ModelFileException>(() => QuantizedModel.Load(text));
        string good = Path.Combine(dir, "good.safetensors");
        QuantizedModelFile.Write(good, Shared.Value.Network);
        using var model = QuantizedModel.Load(good);
        Assert.Equal(10, model.OutputsPerImage);
    }

    [Fact]
    public void SteadyStatePredictDoesNotAllocate()
    {
        var (network, images) = Shared.Value;
        using var model = QuantizedModel.Create(network);
        var image = images.AsSpan(0, model.ImageSize).ToArray();
        var logits = new float[10];
        for (int i = 0; i < 5; i++) model.Predict(image, logits);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++) model.Predict(image, logits);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void DisposedModelRefusesCalls()
    {
        var (network, images) = Shared.Value;
        var model = QuantizedModel.Create(network);
        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => model.Predict(images.AsSpan(0, 784)));
    }
}
