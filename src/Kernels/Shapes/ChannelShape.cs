namespace Ompq.Kernels;

/// <summary>An N×C×(Spatial) tensor where per-channel parameters apply (batch-norm, global pooling).</summary>
public readonly record struct ChannelShape(int N, int C, long Spatial)
{
    public long Size => N * C * Spatial;

    public void Validate()
    {
        if (N <= 0 || C <= 0 || Spatial <= 0)
            throw new KernelArgumentException($"channel shape must be positive, got N={N} C={C} spatial={Spatial}");
    }
}
