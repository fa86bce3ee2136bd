namespace Ompq.Kernels;

/// <summary>An N×C×(Spatial) tensor where per-channel parameters apply (batch-norm, global pooling).</summary>
public readonly record struct ChannelShape(int N, int C, long Spatial)
{
    public long Size => SizeArithmetic.Product(N, C, Spatial);

    /// <summary>Plain sizes for messages (not the record's type name and member list).</summary>
    public override string ToString() => $"channel shape N={N} C={C} spatial={Spatial}";

    public void Validate()
    {
        if (N <= 0 || C <= 0 || Spatial <= 0)
            throw new KernelArgumentException($"channel shape must be positive, got N={N} C={C} spatial={Spatial}");
        // Planes are counted with 32-bit ints; each plane is walked with 64-bit offsets but the whole must fit memory's address range.
        SizeArithmetic.RequireIndexable("channel op", "planes N·C", (long)N * C, this);
        if (Size == long.MaxValue)
            throw new KernelArgumentException($"channel op size N·C·spatial is beyond 2^63 for {this}");
    }
}
