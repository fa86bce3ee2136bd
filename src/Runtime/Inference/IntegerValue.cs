using Ompq.Kernels;

namespace Ompq.Runtime.Inference;

/// <summary>How a graph value is held while the integer engine runs.</summary>
internal enum ValueStorage
{
    /// <summary>The caller's N×C×H×W float images (value 0 only).</summary>
    Images,

    /// <summary>8-bit codes on one grid, channels-last: every quantized reader of the value reads it on that grid.</summary>
    Codes,

    /// <summary>fp32, channels-last: readers disagree on a grid or none quantizes it (residual sums, pooled features, logits).</summary>
    Floats,

    /// <summary>Never materialized: a conv output consumed only by the residual add fused into that conv.</summary>
    Fused,
}

/// <summary>One value of the compiled plan: storage, grid, per-image shape and the workspace slot it lives in.</summary>
internal sealed class IntegerValue
{
    public required int Id { get; init; }
    public required int[] Shape { get; init; }
    public ValueStorage Storage { get; set; }
    public CodeGrid Grid { get; set; }

    /// <summary>The value whose memory this one is a view of (itself unless produced by a reshape).</summary>
    public int Root { get; set; }

    public int Slot { get; set; } = -1;
    public long PerImage => Ompq.Runtime.Tensors.HostTensor.ElementCount(Shape);
    public long BytesPerImage => Storage == ValueStorage.Codes ? PerImage : 4 * PerImage;
}
