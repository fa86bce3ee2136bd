using System.Buffers.Binary;
using System.Text.Json;
using Ompq.Runtime.Inference;
using Ompq.Runtime.Io;

namespace Ompq.Runtime.Export;

/// <summary>
/// The raw tensors of a safetensors file (bytes as stored, any dtype) and its metadata, for the exported-model reader,
/// which needs U8/I8 data the fp32 state-dict reader converts away. Every size is computed in checked 64-bit
/// arithmetic and checked against the file before anything is copied.
/// </summary>
internal sealed class SafetensorsContainer
{
    private readonly Dictionary<string, (string DType, int[] Shape, byte[] Data)> _tensors;

    private SafetensorsContainer(Dictionary<string, (string, int[], byte[])> tensors, Dictionary<string, string> metadata, string source)
    {
        _tensors = tensors;
        Metadata = metadata;
        Source = source;
    }

    public IReadOnlyDictionary<string, string> Metadata { get; }
    public string Source { get; }

    private static int ElementBytes(string dtype) => dtype switch
    {
        "U8" or "I8" or "BOOL" => 1,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "F32" or "I32" or "U32" => 4,
        "F64" or "I64" or "U64" => 8,
        _ => 0,
    };

    public static SafetensorsContainer Parse(ReadOnlySpan<byte> file, string source, long maxHeaderBytes)
    {
        if (file.Length < 8) throw new ModelFileException($"{source}: not a safetensors file ({file.Length} bytes, expected at least an 8-byte header length)");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > (ulong)maxHeaderBytes || (long)headerLength > file.Length - 8)
            throw new ModelFileException($"{source}: safetensors header length {headerLength} exceeds the file ({file.Length} bytes) or the {maxHeaderBytes}-byte limit; the file is truncated or not safetensors");
        var data = file[(8 + (int)headerLength)..];
        var tensors = new Dictionary<string, (string, int[], byte[])>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var header = JsonDocument.Parse(file.Slice(8, (int)headerLength).ToArray());
            if (header.RootElement.ValueKind != JsonValueKind.Object) throw new ModelFileException($"{source}: safetensors header must be a JSON object");
            foreach (var property in header.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind != JsonValueKind.Object) throw new ModelFileException($"{source}: __metadata__ must be an object of strings");
                    foreach (var m in property.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : throw new ModelFileException($"{source}: metadata '{PrintableText.Of(m.Name)}' must be a string");
                    continue;
                }
                tensors[property.Name] = ReadTensor(property, data, source);
            }
        }
        catch (JsonException e)
        {
            throw new ModelFileException($"{source}: safetensors header is not valid JSON ({PrintableText.Of(e.Message)})", e);
        }
        catch (InvalidOperationException e)
        {
            throw new ModelFileException($"{source}: safetensors header is not valid UTF-8 JSON ({PrintableText.Of(e.Message)})", e);
        }
        return new SafetensorsContainer(tensors, metadata, source);
    }

    private static (string, int[], byte[]) ReadTensor(JsonProperty property, ReadOnlySpan<byte> data, string source)
    {
        string where = $"{source}: tensor '{PrintableText.Of(property.Name)}'";
        var e = property.Value;
        if (e.ValueKind != JsonValueKind.Object) throw new ModelFileException($"{where} must be an object");
        string dtype = e.TryGetProperty("dtype", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : "";
        int elementBytes = ElementBytes(dtype);
        if (elementBytes == 0) throw new ModelFileException($"{where} has unknown dtype '{PrintableText.Of(dtype)}'");
        if (!e.TryGetProperty("shape", out var s) || s.ValueKind != JsonValueKind.Array || s.GetArrayLength() > 8)
            throw new ModelFileException($"{where} needs a shape of at most 8 sizes");
        var shape = s.EnumerateArray().Select(v => v.TryGetInt32(out int x) && x >= 0 ? x : throw new ModelFileException($"{where}: shape sizes must be non-negative 32-bit integers")).ToArray();
        long bytes = elementBytes;
        foreach (int x in shape)
        {
            try { bytes = checked(bytes * x); }
            catch (OverflowException) { throw new ModelFileException($"{where}: shape {Tensors.HostTensor.FormatShape(shape)} overflows 64 bits"); }
        }
        if (!e.TryGetProperty("data_offsets", out var o) || o.ValueKind != JsonValueKind.Array || o.GetArrayLength() != 2
            || !o[0].TryGetInt64(out long begin) || !o[1].TryGetInt64(out long end))
            throw new ModelFileException($"{where} needs data_offsets [begin, end]");
        if (begin < 0 || end < begin || end > data.Length || end - begin != bytes)
            throw new ModelFileException($"{where}: data_offsets [{begin}, {end}] do not hold {bytes} bytes inside the {data.Length}-byte data section");
        return (dtype, shape, data.Slice((int)begin, (int)bytes).ToArray());
    }

    /// <summary>The raw bytes of a 1-D tensor of <paramref name="dtype"/> with <paramref name="count"/> elements.</summary>
    public byte[] Bytes(string name, string dtype, long count)
    {
        if (!_tensors.TryGetValue(name, out var t)) throw new ModelFileException($"{Source}: no tensor '{PrintableText.Of(name)}'");
        if (t.DType != dtype || t.Shape.Length != 1 || t.Shape[0] != count)
            throw new ModelFileException($"{Source}: tensor '{PrintableText.Of(name)}' is {t.DType} {Tensors.HostTensor.FormatShape(t.Shape)}, expected {dtype} [{count}]");
        return t.Data;
    }

    public float[] Floats(string name, long count)
    {
        var bytes = Bytes(name, "F32", count);
        var values = new float[count];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i));
        return values;
    }
}
