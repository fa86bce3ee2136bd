using Ompq.Kernels;

namespace Ompq.Runtime.Tensors;

/// <summary>
/// A dense fp32 tensor: a shape and a slice of backend memory. The tensor owns its buffer only when created
/// with <paramref name="ownsBuffer"/> = true; views share memory and never free it.
/// </summary>
public sealed class Tensor : IDisposable
{
    private readonly bool _ownsBuffer;

    public Tensor(IKernels kernels, BufferSlice data, int[] shape, bool ownsBuffer)
    {
        long size = SizeOf(shape);
        data.Require(size, "tensor storage");
        Kernels = kernels;
        Data = data.Length == size ? data : data.Slice(0, size);
        Shape = shape;
        _ownsBuffer = ownsBuffer;
    }

    public IKernels Kernels { get; }
    public BufferSlice Data { get; }
    public int[] Shape { get; }
    public long Size => Data.Length;
    public int Rank => Shape.Length;
    public int Dim(int axis) => Shape[axis < 0 ? Shape.Length + axis : axis];

    public static Tensor Allocate(IKernels kernels, params int[] shape)
        => new(kernels, kernels.Allocate(SizeOf(shape)), shape, ownsBuffer: true);

    public static Tensor FromHost(IKernels kernels, ReadOnlySpan<float> values, params int[] shape)
    {
        var t = Allocate(kernels, shape);
        kernels.Upload(values, t.Data);
        return t;
    }

    /// <summary>A view with another shape over the same elements.</summary>
    public Tensor Reshape(params int[] shape)
    {
        if (SizeOf(shape) != Size)
            throw new ArgumentException($"cannot view a tensor of shape [{string.Join(",", Shape)}] as [{string.Join(",", shape)}]");
        return new Tensor(Kernels, Data, shape, ownsBuffer: false);
    }

    public float[] ToArray()
    {
        var host = new float[Size];
        Kernels.Download(Data, host);
        return host;
    }

    public static long SizeOf(ReadOnlySpan<int> shape)
    {
        long size = 1;
        foreach (int d in shape)
        {
            if (d <= 0) throw new ArgumentException($"tensor dimensions must be positive, got [{string.Join(",", shape.ToArray())}]");
            size *= d;
        }
        return size;
    }

    public override string ToString() => $"Tensor[{string.Join("×", Shape)}] on {Kernels.Info.Id}";

    public void Dispose()
    {
        if (_ownsBuffer) Data.Buffer.Dispose();
    }
}
