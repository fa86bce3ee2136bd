namespace Ompq.Runtime.Training;

/// <summary>
/// The seeded data order and per-batch random streams of a run: pure functions of (seed, epoch, batch), so a run
/// resumed at any batch sees exactly the images and augmentations an uninterrupted run would.
/// </summary>
public static class BatchOrder
{
    /// <summary>A permutation of [0, count) for the epoch (Fisher–Yates).</summary>
    public static int[] Permutation(int seed, int epoch, int count)
    {
        var order = new int[count];
        for (int i = 0; i < count; i++) order[i] = i;
        var random = new Random(Mix(seed, epoch, -1));
        for (int i = count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>The random stream of one batch's augmentation.</summary>
    public static Random ForBatch(int seed, int epoch, int batch) => new(Mix(seed, epoch, batch));

    /// <summary>Batches per epoch: the last partial batch is kept unless it would hold a single image (batch-norm needs two).</summary>
    public static int Batches(int count, int batchSize)
    {
        int full = count / batchSize, rest = count % batchSize;
        return full + (rest >= 2 ? 1 : 0);
    }

    private static int Mix(int seed, int epoch, int batch)
    {
        // SplitMix64-style finalizer: nearby (seed, epoch, batch) triples give unrelated seeds.
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)epoch * 0xBF58476D1CE4E5B9UL ^ (ulong)(uint)batch * 0x94D049BB133111EBUL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & 0x7FFFFFFF);
    }
}
