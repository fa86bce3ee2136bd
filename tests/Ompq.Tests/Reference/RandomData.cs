namespace Ompq.Tests.Reference;

/// <summary>Seeded random inputs for reference checks.</summary>
public static class RandomData
{
    public static float[] Uniform(Random rng, long count, float low = -1f, float high = 1f)
    {
        var data = new float[count];
        for (long i = 0; i < count; i++) data[i] = low + (high - low) * rng.NextSingle();
        return data;
    }

    /// <summary>A size in [1, max], skewed towards small values so tails and size-1 dims are common.</summary>
    public static int Size(Random rng, int max)
    {
        if (max <= 1) return 1;
        return rng.Next(4) switch
        {
            0 => rng.Next(1, Math.Min(max, 4) + 1),
            1 => rng.Next(1, Math.Min(max, 17) + 1),
            _ => rng.Next(1, max + 1),
        };
    }

    public static T Pick<T>(Random rng, params T[] options) => options[rng.Next(options.Length)];
}
