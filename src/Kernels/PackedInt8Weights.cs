namespace Ompq.Kernels;

/// <summary>
/// Weight codes of one layer in the layout of the integer path that packed them (opaque to callers; pinned so the
/// kernels read them without fixing). Immutable: one instance serves any number of concurrent calls.
/// </summary>
public sealed class PackedInt8Weights
{
    internal PackedInt8Weights(IntegerIsa isa, int outChannels, int depth, int depthPadded, bool depthwise, byte[] data, int[] depthwiseTaps)
    {
        Isa = isa;
        OutChannels = outChannels;
        Depth = depth;
        DepthPadded = depthPadded;
        Depthwise = depthwise;
        Data = data;
        DepthwiseTaps = depthwiseTaps;
    }

    public IntegerIsa Isa { get; }
    public int OutChannels { get; }

    /// <summary>Products per output (C/groups·R·S).</summary>
    public int Depth { get; }

    internal int DepthPadded { get; }
    public bool Depthwise { get; }
    internal byte[] Data { get; }

    /// <summary>Depthwise weights as int32 [tap][channel] (empty otherwise).</summary>
    internal int[] DepthwiseTaps { get; }

    public long Bytes => Data.LongLength + 4L * DepthwiseTaps.LongLength;
}
