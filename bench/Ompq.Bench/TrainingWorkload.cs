using Ompq.Benchmarking;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;

namespace Ompq.Bench;

/// <summary>
/// What the training-step benchmark trains: resnet20 for 10 classes on 1×28×28 images, batch 128, seeded weights
/// (seed 0), seeded uniform images in [−1, 1) and labels, SGD with momentum 0.9 and weight decay 5e-4. Both sides
/// start from the same weights and see the same batch every step.
/// </summary>
public static class TrainingWorkload
{
    public const string ModelName = "resnet20";
    public const int InputSize = 28;
    public const int Classes = 10;
    public const int Batch = BenchCatalog.TrainingBatch;

    public static GraphModel CreateModel() => ModelZoo.Create(ModelName, InputSize, seed: 0, classes: Classes);

    public static float[] Images(GraphModel model)
    {
        var (c, h, w) = model.InputShape;
        var rng = new Random(1);
        var images = new float[(long)Batch * c * h * w];
        for (long i = 0; i < images.LongLength; i++) images[i] = (float)(rng.NextDouble() * 2 - 1);
        return images;
    }

    public static int[] Labels()
    {
        var rng = new Random(2);
        return Enumerable.Range(0, Batch).Select(_ => rng.Next(Classes)).ToArray();
    }

    public static string Description => $"{ModelName} {InputSize}x{InputSize}x1, batch {Batch}, SGD momentum {BenchCatalog.SgdMomentum} wd {BenchCatalog.SgdWeightDecay}";
}
