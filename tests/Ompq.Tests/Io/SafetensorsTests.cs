using System.Buffers.Binary;
using System.Text;
using Ompq.Runtime;
using Ompq.Runtime.Io.Safetensors;
using Ompq.Runtime.Tensors;

namespace Ompq.Tests.Io;

public sealed class SafetensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ompq-st-").FullName;

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static byte[] File(string header, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        return bytes;
    }

    [Fact]
    public void WrittenTensorsReadBackExactly()
    {
        var a = new HostTensor(new[] { 2, 3 }, new[] { 1f, -2f, 3.5f, 1e-8f, float.MaxValue, 0f });
        var b = new HostTensor(new[] { 3 }, new[] { 7f, 8f, 9f });
        string path = PathOf("t.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, HostTensor> { ["a.weight"] = a, ["b"] = b },
            new Dictionary<string, string> { ["format"] = "pt" });
        var bytes = System.IO.File.ReadAllBytes(path);
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes) % 8);
        var read = SafetensorsReader.Read(path);
        Assert.Equal(new[] { "a.weight", "b" }, read.Select(e => e.Name));
        Assert.Equal(a.Shape, read[0].Tensor.Shape);
        Assert.Equal(a.Data, read[0].Tensor.Data);
        Assert.Equal(b.Data, read[1].Tensor.Data);
        Assert.All(read, e => Assert.Equal("F32", e.SourceType));
    }

    [Fact]
    public void Int64TensorsAreWrittenAsI64()
    {
        string path = PathOf("i.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, HostTensor> { ["n"] = new(new[] { 2 }, new[] { 3f, -7f }), ["f"] = HostTensor.Filled(0.5f, 1) },
            int64Names: new HashSet<string> { "n" });
        var read = SafetensorsReader.Read(path);
        Assert.Equal("I64", read.Single(e => e.Name == "n").SourceType);
        Assert.Equal(new[] { 3f, -7f }, read.Single(e => e.Name == "n").Tensor.Data);
        Assert.Equal(new[] { 0.5f }, read.Single(e => e.Name == "f").Tensor.Data);
    }

    [Fact]
    public void HalfAndBFloat16AreWidened()
    {
        var data = new byte[8];
        BinaryPrimitives.WriteHalfLittleEndian(data, (Half)1.5f);
        BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(2), (Half)(-0.25f));
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(4), (ushort)(BitConverter.SingleToInt32Bits(3.0f) >> 16));
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(6), (ushort)(BitConverter.SingleToInt32Bits(-96f) >> 16));
        string header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]}}";
        var read = SafetensorsReader.Parse(File(header, data), "mem");
        Assert.Equal(new[] { 1.5f, -0.25f }, read.Single(e => e.Name == "h").Tensor.Data);
        Assert.Equal(new[] { 3f, -96f }, read.Single(e => e.Name == "b").Tensor.Data);
    }

    [Fact]
    public void TruncatedFileNamesTheTensor()
    {
        string path = PathOf("trunc.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, HostTensor>
        {
            ["first"] = HostTensor.Filled(1f, 4),
            ["second"] = HostTensor.Filled(2f, 16),
        });
        var bytes = System.IO.File.ReadAllBytes(path);
        System.IO.File.WriteAllBytes(path, bytes[..^10]);
        var e = Assert.Throws<InvalidInputException>(() => SafetensorsReader.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("'second'", e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,12]}}", 16, "holds 12 bytes, expected 16")]
    [InlineData("{\"x\":{\"dtype\":\"Q4\",\"shape\":[4],\"data_offsets\":[0,16]}}", 16, "dtype Q4 is not supported")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 16, "overlaps")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 16, "non-negative")]
    [InlineData("{\"x\": [1, 2", 16, "not valid JSON")]
    public void CorruptHeadersAreRejected(string header, int dataBytes, string expected)
    {
        var e = Assert.Throws<InvalidInputException>(() => SafetensorsReader.Parse(File(header, new byte[dataBytes]), "bad.safetensors"));
        Assert.StartsWith("bad.safetensors: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void HeaderLongerThanTheFileIsRejected()
    {
        var bytes = new byte[20];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1000);
        var e = Assert.Throws<InvalidInputException>(() => SafetensorsReader.Parse(bytes, "short.safetensors"));
        Assert.Contains("header length 1000", e.Message);
        Assert.Throws<InvalidInputException>(() => SafetensorsReader.Parse(new byte[5], "tiny"));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
