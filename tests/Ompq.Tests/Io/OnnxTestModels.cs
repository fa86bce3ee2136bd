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
    /// A 1×2×4×4 input → Conv(2→3, 3×3, pad 1, bias) → <paramref name="secondOp"/> model, written with
    /// <see cref="OnnxGraphBuilder"/>.
    /// </summary>
    public static byte[] ConvThen(string secondOp, Action<ProtoWriter>? secondOpAttributes = null, long[]? pads = null)
    {
        var w = new float[3 * 2 * 3 * 3];
        for (int i = 0; i < w.Length; i++) w[i] = (i % 7 - 3) * 0.1f;
        var graph = new OnnxGraphBuilder(seed: 0);
        graph.Node("Conv", "conv0", ["x", "w", "b"], ["c"], OnnxGraphBuilder.Ints("pads", pads ?? [1, 1, 1, 1]));
        graph.Node(secondOp, "second0", ["c"], ["y"], secondOpAttributes);
        graph.Initializer("w", [3, 2, 3, 3], w);
        graph.Initializer("b", [3], [0.5f, -0.5f, 0f]);
        graph.Input("x", 1, 2, 4, 4);
        graph.Output("y", 1, 3, 4, 4);
        return graph.Build();
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
