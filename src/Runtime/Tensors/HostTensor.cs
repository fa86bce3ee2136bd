namespace Ompq.Runtime.Tensors;

/// <summary>A dense fp32 tensor in host memory: how parameters are stored, loaded and exported (row-major, PyTorch layout).</summary>
public sealed class HostTensor
{
    public HostTensor(int[] shape, float[] data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        long size = ElementCount(shape);
        if (size != data.Length)
            throw new ArgumentException($"shape [{string.Join(",", shape)}] needs {size} values, got {data.Length}");
        Shape = shape;
        Data = data;
    }

    public int[] Shape { get; }
    public float[] Data { get; }
    public long Size => Data.Length;

    public static HostTensor Zeros(params int[] shape) => new(shape, new float[ElementCount(shape)]);

    public static HostTensor Filled(float value, params int[] shape)
    {
        var data = new float[ElementCount(shape)];
        Array.Fill(data, value);
        return new HostTensor(shape, data);
    }

    /// <summary>Element count of a shape; an empty shape is a scalar (1 element).</summary>
    public static long ElementCount(ReadOnlySpan<int> shape)
    {
        long size = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"tensor dimensions must be non-negative, got [{string.Join(",", shape.ToArray())}]");
            size *= d;
        }
        return size;
    }

    public bool HasShape(ReadOnlySpan<int> shape) => shape.SequenceEqual(Shape);

    public string ShapeText => FormatShape(Shape);

    public static string FormatShape(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    public override string ToString() => $"HostTensor{ShapeText}";
}
