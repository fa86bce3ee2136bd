using System.Text;

namespace Ompq.Tests.Io;

/// <summary>Locates the pretrained ONNX ResNet-18 (NuGet package download) and writes tiny hand-made ONNX files.</summary>
internal static class OnnxTestModels
{
    /// <summary>tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx of Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1.</summary>
    public static string ResNet18Path
    {
        get
        {
            string root = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
                ? p
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            string path = Path.Combine(root, "microsoft.ml.dnnimagefeaturizer.resnet18", "0.23.1", "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");
            if (!File.Exists(path))
                throw new FileNotFoundException($"ResNet18.onnx not found at {path}; restore tests/Ompq.Tests (PackageDownload) first");
            return path;
        }
    }

    /// <summary>
    /// A 1×2×4×4 input → Conv(2→3, 3×3, pad 1, bias) → <paramref name="secondOp"/> model, written with a minimal
    /// protobuf encoder.
    /// </summary>
    public static byte[] ConvThen(string secondOp, Action<ProtoWriter>? secondOpAttributes = null, long[]? pads = null)
    {
        var w = new float[3 * 2 * 3 * 3];
        for (int i = 0; i < w.Length; i++) w[i] = (i % 7 - 3) * 0.1f;
        var graph = new ProtoWriter();
        graph.Message(1, n =>
        {
            n.String(1, "x"); n.String(1, "w"); n.String(1, "b"); n.String(2, "c"); n.String(3, "conv0"); n.String(4, "Conv");
            n.Message(5, a => { a.String(1, "pads"); a.Ints(8, pads ?? new long[] { 1, 1, 1, 1 }); a.Varint(20, 7); });
        });
        graph.Message(1, n =>
        {
            n.String(1, "c"); n.String(2, "y"); n.String(3, "second0"); n.String(4, secondOp);
            secondOpAttributes?.Invoke(n);
        });
        graph.String(2, "tiny");
        graph.Message(5, t => Initializer(t, "w", new long[] { 3, 2, 3, 3 }, w));
        graph.Message(5, t => Initializer(t, "b", new long[] { 3 }, new[] { 0.5f, -0.5f, 0f }));
        graph.Message(11, v => ValueInfo(v, "x", 1, 2, 4, 4));
        graph.Message(12, v => ValueInfo(v, "y", 1, 3, 4, 4));
        var model = new ProtoWriter();
        model.Varint(1, 7);
        model.String(2, "ompq-test");
        model.Message(8, o => o.Varint(2, 13));
        model.Message(7, g => g.Raw(graph.ToArray()));
        return model.ToArray();
    }

    private static void Initializer(ProtoWriter t, string name, long[] dims, float[] values)
    {
        t.Ints(1, dims);
        t.Varint(2, 1);
        t.String(8, name);
        var raw = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
        t.Bytes(9, raw);
    }

    private static void ValueInfo(ProtoWriter v, string name, params long[] dims)
    {
        v.String(1, name);
        v.Message(2, type => type.Message(1, tensor =>
        {
            tensor.Varint(1, 1);
            tensor.Message(2, shape => { foreach (long d in dims) shape.Message(1, dim => dim.Varint(1, d)); });
        }));
    }
}

/// <summary>Protobuf wire-format encoder for building test ONNX files.</summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream _stream = new();

    public byte[] ToArray() => _stream.ToArray();

    public void Raw(byte[] bytes) => _stream.Write(bytes);

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80) { _stream.WriteByte((byte)(value | 0x80)); value >>= 7; }
        _stream.WriteByte((byte)value);
    }

    public void Varint(int field, long value) { WriteVarint((ulong)field << 3); WriteVarint((ulong)value); }

    public void Bytes(int field, byte[] bytes) { WriteVarint(((ulong)field << 3) | 2); WriteVarint((ulong)bytes.Length); _stream.Write(bytes); }

    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public void Float(int field, float value) { WriteVarint(((ulong)field << 3) | 5); _stream.Write(BitConverter.GetBytes(value)); }

    public void Ints(int field, params long[] values) { foreach (long v in values) Varint(field, v); }

    public void Message(int field, Action<ProtoWriter> build)
    {
        var inner = new ProtoWriter();
        build(inner);
        Bytes(field, inner.ToArray());
    }
}
