using Ompq.Runtime;
using Ompq.Runtime.Io.Torch;

namespace Ompq.Tests.Io;

/// <summary>Tensors of a PyTorch zip as strided views into a storage: offsets, non-contiguous strides, storages shared by several tensors.</summary>
public sealed class TorchStorageViewTests
{
    // Storage "0": twelve floats 0, 1, …, 11.
    private static readonly StorageRef Storage = new("FloatStorage", "0", 12);
    private static readonly byte[] Bytes = Enumerable.Range(0, 12).SelectMany(i => BitConverter.GetBytes((float)i)).ToArray();

    [Theory]
    [InlineData(0, new long[] { 3, 4 }, new long[] { 4, 1 }, new float[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 })]
    [InlineData(5, new long[] { 2, 2 }, new long[] { 2, 1 }, new float[] { 5, 6, 7, 8 })]
    [InlineData(2, new long[] { 2, 3 }, new long[] { 1, 2 }, new float[] { 2, 4, 6, 3, 5, 7 })]
    [InlineData(0, new long[] { 3 }, new long[] { 4 }, new float[] { 0, 4, 8 })]
    [InlineData(11, new long[] { 1, 1 }, new long[] { 7, 9 }, new float[] { 11 })]
    [InlineData(3, new long[] { 0, 5 }, new long[] { 5, 1 }, new float[0])]
    public void ViewReadsTheElementsItsStridesReach(long offset, long[] size, long[] stride, float[] expected)
    {
        var entry = TorchZipReader.Materialize("w", new TensorRef(Storage, offset, size, stride), Bytes, "m.pt");
        Assert.Equal(size.Select(d => (int)d).ToArray(), entry.Tensor.Shape);
        Assert.Equal(expected, entry.Tensor.Data);
        Assert.Equal("F32", entry.SourceType);
    }

    [Fact]
    public void TwoViewsOfOneStorageDoNotInterfere()
    {
        var first = TorchZipReader.Materialize("a", new TensorRef(Storage, 1, [2, 2], [1, 2]), Bytes, "m.pt");
        var second = TorchZipReader.Materialize("b", new TensorRef(Storage, 8, [4], [1]), Bytes, "m.pt");
        Assert.Equal([1f, 3f, 2f, 4f], first.Tensor.Data);
        Assert.Equal([8f, 9f, 10f, 11f], second.Tensor.Data);
    }

    [Theory]
    [InlineData(10, new long[] { 3 }, new long[] { 1 }, "reaches element 12 of a storage of 12")]
    [InlineData(0, new long[] { 2, 7 }, new long[] { 6, 1 }, "reaches element 12 of a storage of 12")]
    [InlineData(0, new long[] { 2 }, new long[] { -1 }, "reaches element")]
    public void ViewBeyondItsStorageIsRejected(long offset, long[] size, long[] stride, string message)
    {
        var e = Assert.Throws<InvalidInputException>(
            () => TorchZipReader.Materialize("w", new TensorRef(Storage, offset, size, stride), Bytes, "m.pt"));
        Assert.Contains(message, e.Message);
        Assert.StartsWith("m.pt: tensor 'w'", e.Message);
    }
}
