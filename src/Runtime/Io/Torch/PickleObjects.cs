namespace Ompq.Runtime.Io.Torch;

/// <summary>A module-qualified name the stream referenced (never resolved to code).</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public override string ToString() => $"{Module}.{Name}";
}

internal sealed record PickleTuple(object?[] Items);

/// <summary>A dict in insertion order (keys may be any pickled value).</summary>
internal sealed class PickleDict
{
    public List<KeyValuePair<object?, object?>> Items { get; } = new();
}

/// <summary>A tensor storage named by a persistent id: element type (storage class name) and the zip entry key.</summary>
internal sealed record StorageRef(string StorageType, string Key, long Numel);

/// <summary>torch._utils._rebuild_tensor_v2 arguments: a strided view into a storage (offsets in elements).</summary>
internal sealed record TensorRef(StorageRef Storage, long Offset, long[] Size, long[] Stride);

internal sealed class PickleMark
{
    public static readonly PickleMark Instance = new();
}
