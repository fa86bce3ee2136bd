using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Ompq.Runtime.Inference;
using Ompq.Runtime.Io;
using Ompq.Runtime.Quantization;

namespace Ompq.Runtime.Export;

/// <summary>
/// The exported quantized model, one safetensors file. Per conv/linear layer L: "L.weight_packed" (U8, the codes at
/// their own width, <see cref="PackedCodes"/>), "L.weight_scale" (F32 per output channel), "L.weight_zero_point" (I8
/// per output channel, all 0: the grid is symmetric) and "L.bias" (F32). Metadata: format, format_version, the source
/// model's name, the input shape, the graph (<see cref="GraphDescription"/>) and "quantization": per layer the weight
/// width and shape and the input activation grid (bits, scale, unsigned). Floats are written in shortest round-trip
/// form and tensors byte for byte, so reading a written file gives back exactly the same network.
/// </summary>
public static class QuantizedModelFile
{
    public const string FormatName = "ompq-quantized-model";
    public const int FormatVersion = 1;

    /// <summary>Largest file read (the reader holds it in memory); a ResNet-50 at 8 bits is ~25 MB.</summary>
    public const long MaxFileBytes = 1L << 30;
    private const long MaxHeaderBytes = 64L << 20;

    public static void Write(string path, QuantizedNetwork network)
    {
        var (header, tensors) = Encode(network);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var t in tensors) stream.Write(t);
        });
    }

    /// <summary>The file's bytes without writing them (what <see cref="Write"/> writes).</summary>
    public static byte[] ToBytes(QuantizedNetwork network)
    {
        var (header, tensors) = Encode(network);
        var output = new MemoryStream();
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        output.Write(length);
        output.Write(header);
        foreach (var t in tensors) output.Write(t);
        return output.ToArray();
    }

    private static (byte[] Header, List<byte[]> Tensors) Encode(QuantizedNetwork network)
    {
        var tensors = new List<byte[]>();
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            json.WriteString("format", FormatName);
            json.WriteString("format_version", FormatVersion.ToString(CultureInfo.InvariantCulture));
            json.WriteString("model", network.Name);
            var (c, h, w) = network.InputShape;
            json.WriteString("input_shape", $"[{c},{h},{w}]");
            json.WriteString("graph", GraphDescription.Write(network.Graph));
            json.WriteString("quantization", QuantizationJson(network));
            json.WriteEndObject();
            long offset = 0;
            void Tensor(string name, string dtype, int[] shape, byte[] data)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", dtype);
                json.WriteStartArray("shape");
                foreach (int d in shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += data.Length;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
                tensors.Add(data);
            }
            foreach (var layer in OrderedLayers(network))
            {
                var packed = PackedCodes.Pack(layer.Codes, layer.WeightBits);
                Tensor(layer.Name + ".weight_packed", "U8", new[] { packed.Length }, packed);
                Tensor(layer.Name + ".weight_scale", "F32", new[] { layer.OutChannels }, FloatBytes(layer.Scales));
                Tensor(layer.Name + ".weight_zero_point", "I8", new[] { layer.OutChannels }, new byte[layer.OutChannels]);
                Tensor(layer.Name + ".bias", "F32", new[] { layer.OutChannels }, FloatBytes(layer.Bias));
            }
            json.WriteEndObject();
        }
        var header = buffer.ToArray();
        int padded = (header.Length + 7) / 8 * 8;
        var headerPadded = new byte[padded];
        header.CopyTo(headerPadded, 0);
        headerPadded.AsSpan(header.Length).Fill((byte)' ');
        return (headerPadded, tensors);
    }

    private static IEnumerable<QuantizedLayer> OrderedLayers(QuantizedNetwork network)
        => network.Graph.Nodes.Where(n => network.Layers.ContainsKey(n.Name)).Select(n => network.Layers[n.Name]);

    private static string QuantizationJson(QuantizedNetwork network)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var layer in OrderedLayers(network))
            {
                json.WriteStartObject(layer.Name);
                json.WriteNumber("weight_bits", layer.WeightBits);
                json.WriteStartArray("weight_shape");
                foreach (int d in layer.WeightShape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartObject("input");
                json.WriteNumber("bits", layer.Input.Bits);
                json.WriteNumber("scale", layer.Input.Scale);
                json.WriteBoolean("unsigned", layer.Input.Unsigned);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static byte[] FloatBytes(float[] values)
    {
        var bytes = new byte[checked(values.Length * 4)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        return bytes;
    }

    /// <summary>Reads and checks a model file; <see cref="ModelFileException"/> (or <see cref="ModelVersionException"/>) names what is wrong.</summary>
    public static QuantizedNetwork Read(string path)
    {
        long length;
        try { length = new FileInfo(path).Length; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ModelFileException($"{path}: cannot read the model file ({PrintableText.Of(e.Message)})", e);
        }
        if (!File.Exists(path)) throw new ModelFileException($"{path}: no such model file");
        if (length > MaxFileBytes) throw new ModelFileException($"{path}: {length} bytes is larger than the {MaxFileBytes}-byte limit of a model file");
        byte[] file;
        try { file = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFileException($"{path}: cannot read the model file ({PrintableText.Of(e.Message)})", e);
        }
        return Parse(file, path);
    }

    public static QuantizedNetwork Parse(ReadOnlySpan<byte> file, string source)
    {
        var container = SafetensorsContainer.Parse(file, source, MaxHeaderBytes);
        var metadata = container.Metadata;
        string Field(string key) => metadata.TryGetValue(key, out var v)
            ? v
            : throw new ModelFileException($"{source}: not an {FormatName} file (its metadata has no '{key}'); expected a model written by `ompq export`");
        if (Field("format") != FormatName)
            throw new ModelFileException($"{source}: metadata format is '{PrintableText.Of(metadata["format"])}', expected '{FormatName}' (a model written by `ompq export`)");
        if (!int.TryParse(Field("format_version"), NumberStyles.None, CultureInfo.InvariantCulture, out int version) || version < 1)
            throw new ModelFileException($"{source}: format_version '{PrintableText.Of(metadata["format_version"])}' is not a version number");
        if (version > FormatVersion)
            throw new ModelVersionException($"{source}: written by format version {version}; this build reads versions 1..{FormatVersion} (update ompq to load it)");
        string name = Field("model");
        var inputShape = InputShape(Field("input_shape"), source);
        var graph = GraphDescription.Read(Field("graph"), source);
        var layers = ReadLayers(Field("quantization"), container, graph, source);
        var network = new QuantizedNetwork(name, graph, inputShape, layers);
        // Shapes through the whole graph: a weight that does not fit its layer is named here, not at the first Predict.
        try
        {
            using var reference = network.ToReferenceModel();
            _ = reference.OutputShape;
        }
        catch (InvalidInputException e)
        {
            throw new ModelFileException($"{source}: {e.Message}", e);
        }
        catch (ArgumentException e)
        {
            // e.g. two layers naming the same weight tensor
            throw new ModelFileException($"{source}: the graph is inconsistent ({PrintableText.Of(e.Message)})", e);
        }
        return network;
    }

    private static (int, int, int) InputShape(string text, string source)
    {
        try
        {
            var dims = JsonSerializer.Deserialize<int[]>(text);
            if (dims is { Length: 3 } && dims.All(d => d > 0 && d <= 1 << 14) && (long)dims[0] * dims[1] * dims[2] <= 1 << 26)
                return (dims[0], dims[1], dims[2]);
        }
        catch (JsonException) { }
        throw new ModelFileException($"{source}: metadata 'input_shape' must be [channels, height, width] of positive sizes up to 16384 and 2^26 values, got '{PrintableText.Of(text)}'");
    }

    private static Dictionary<string, QuantizedLayer> ReadLayers(string text, SafetensorsContainer container, Nn.Graph.ModelGraph graph, string source)
    {
        var layers = new Dictionary<string, QuantizedLayer>(StringComparer.Ordinal);
        JsonDocument document;
        try { document = JsonDocument.Parse(text); }
        catch (JsonException e) { throw new ModelFileException($"{source}: metadata 'quantization' is not valid JSON ({PrintableText.Of(e.Message)})", e); }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new ModelFileException($"{source}: metadata 'quantization' must be an object of layers");
            foreach (var node in graph.Nodes.OfType<Nn.Graph.WeightLayerNode>())
            {
                string where = $"{source}: layer '{PrintableText.Of(node.Name)}'";
                if (!root.TryGetProperty(node.Name, out var entry) || entry.ValueKind != JsonValueKind.Object)
                    throw new ModelFileException($"{where} has no entry in metadata 'quantization'");
                int bits = entry.TryGetProperty("weight_bits", out var b) && b.TryGetInt32(out int bv) && bv is >= 2 and <= 8
                    ? bv : throw new ModelFileException($"{where}: weight_bits must be an integer in 2..8");
                if (!entry.TryGetProperty("weight_shape", out var s) || s.ValueKind != JsonValueKind.Array || s.GetArrayLength() is < 2 or > 4)
                    throw new ModelFileException($"{where}: weight_shape must be an array of 2..4 sizes");
                var shape = s.EnumerateArray().Select(d => d.TryGetInt32(out int v) && v > 0 ? v : throw new ModelFileException($"{where}: weight_shape sizes must be positive integers")).ToArray();
                long count = 1;
                foreach (int d in shape) count = checked(count * d);
                if (count > 1L << 30) throw new ModelFileException($"{where}: weight_shape {Tensors.HostTensor.FormatShape(shape)} has more than 2^30 values");
                int channels = shape[0];
                var input = ReadInput(entry, where);
                var packed = container.Bytes(node.Name + ".weight_packed", "U8", PackedCodes.ByteCount(count, bits));
                var codes = PackedCodes.Unpack(packed, bits, count);
                var scales = container.Floats(node.Name + ".weight_scale", channels);
                for (int c = 0; c < channels; c++)
                    if (!(scales[c] > 0f) || !float.IsFinite(scales[c])) throw new ModelFileException($"{where}: weight scale of channel {c} must be positive and finite, got {scales[c]}");
                var zeros = container.Bytes(node.Name + ".weight_zero_point", "I8", channels);
                if (zeros.IndexOfAnyExcept((byte)0) >= 0) throw new ModelFileException($"{where}: weight zero points must be 0 (symmetric grid); this build reads no other");
                var bias = container.Floats(node.Name + ".bias", channels);
                if (bias.Any(v => !float.IsFinite(v))) throw new ModelFileException($"{where}: bias holds a non-finite value");
                layers[node.Name] = new QuantizedLayer(node.Name, bits, shape, codes, scales, bias, input);
            }
        }
        return layers;
    }

    private static ActivationQuant ReadInput(JsonElement entry, string where)
    {
        if (!entry.TryGetProperty("input", out var i) || i.ValueKind != JsonValueKind.Object)
            throw new ModelFileException($"{where}: needs an 'input' activation grid");
        int bits = i.TryGetProperty("bits", out var b) && b.TryGetInt32(out int bv) ? bv : 0;
        float scale = i.TryGetProperty("scale", out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetSingle(out float sv) ? sv : float.NaN;
        bool unsigned = i.TryGetProperty("unsigned", out var u) && u.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? u.GetBoolean() : throw new ModelFileException($"{where}: input 'unsigned' must be true or false");
        var grid = new ActivationQuant(bits, scale, unsigned);
        try { grid.Validate("input"); }
        catch (InvalidInputException e) { throw new ModelFileException($"{where}: {e.Message}", e); }
        return grid;
    }
}
