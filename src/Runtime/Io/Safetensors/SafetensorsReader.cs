using System.Buffers.Binary;
using System.Text.Json;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Io.Safetensors;

/// <summary>
/// Reads a safetensors file: an 8-byte little-endian header length, a JSON header mapping names to dtype, shape
/// and [begin, end) byte offsets into the data section, then the data. F32, F16, BF16, F64, I64, I32 are read
/// (converted to fp32); every offset is checked against the file before any data is touched.
/// </summary>
public static class SafetensorsReader
{
    private const long MaxHeaderBytes = 100L << 20;

    public static IReadOnlyList<StateEntry> Read(string path, ResourceLimits? limits = null) => ReadWithMetadata(path, limits).Entries;

    /// <summary>The tensors and the header's string-to-string "__metadata__" map (empty when absent).</summary>
    public static (IReadOnlyList<StateEntry> Entries, IReadOnlyDictionary<string, string> Metadata) ReadWithMetadata(string path, ResourceLimits? limits = null)
    {
        limits ??= ResourceLimits.Default;
        byte[] file = InputFile.ReadAllBytes(path, limits, path);
        return ParseWithMetadata(file, path, limits);
    }

    public static IReadOnlyList<StateEntry> Parse(ReadOnlySpan<byte> file, string source, ResourceLimits? limits = null)
        => ParseWithMetadata(file, source, limits).Entries;

    public static (IReadOnlyList<StateEntry> Entries, IReadOnlyDictionary<string, string> Metadata) ParseWithMetadata(ReadOnlySpan<byte> file, string source, ResourceLimits? limits = null)
    {
        limits ??= ResourceLimits.Default;
        if (file.Length < 8) throw new InvalidInputException($"{source}: not a safetensors file (only {file.Length} bytes, expected an 8-byte header length)");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > MaxHeaderBytes || (long)headerLength > file.Length - 8)
            throw new InvalidInputException($"{source}: safetensors header length {headerLength} exceeds the file ({file.Length} bytes); the file is truncated or not safetensors");
        var headerBytes = file.Slice(8, (int)headerLength);
        var data = file[(8 + (int)headerLength)..];

        JsonDocument header;
        try { header = JsonDocument.Parse(headerBytes.ToArray()); }
        catch (JsonException e) { throw new InvalidInputException($"{source}: safetensors header is not valid JSON ({PrintableText.Of(e.Message)})", e); }

        using (header)
        {
            try
            {
                var entries = ReadEntries(header, data, source, limits);
                return (entries, ReadMetadata(header, source));
            }
            catch (InvalidOperationException e)
            {
                // System.Text.Json reports invalid UTF-8 in names and strings only when they are read.
                throw new InvalidInputException($"{source}: safetensors header is not valid UTF-8 JSON ({PrintableText.Of(e.Message)})", e);
            }
        }
    }

    private static IReadOnlyDictionary<string, string> ReadMetadata(JsonDocument header, string source)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!header.RootElement.TryGetProperty("__metadata__", out var element)) return metadata;
        if (element.ValueKind != JsonValueKind.Object)
            throw new InvalidInputException($"{source}: safetensors __metadata__ must be an object of strings");
        foreach (var property in element.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
                throw new InvalidInputException($"{source}: safetensors __metadata__ entry '{PrintableText.Of(property.Name)}' must be a string");
            metadata[property.Name] = property.Value.GetString()!;
        }
        return metadata;
    }

    private static IReadOnlyList<StateEntry> ReadEntries(JsonDocument header, ReadOnlySpan<byte> data, string source, ResourceLimits limits)
    {
        if (header.RootElement.ValueKind != JsonValueKind.Object)
            throw new InvalidInputException($"{source}: safetensors header must be a JSON object");
        var layouts = new List<(string Name, string DType, int[] Shape, long Begin, long End)>();
        foreach (var property in header.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__") continue;
            layouts.Add(ParseLayout(property, data.Length, source, limits));
        }
        layouts.Sort((a, b) => a.Begin.CompareTo(b.Begin));
        for (int i = 1; i < layouts.Count; i++)
            if (layouts[i].Begin < layouts[i - 1].End)
                throw new InvalidInputException($"{source}: tensor '{layouts[i].Name}' overlaps tensor '{layouts[i - 1].Name}' in the data section");

        var entries = new List<StateEntry>(layouts.Count);
        foreach (var (name, dtype, shape, begin, end) in layouts)
        {
            var bytes = data.Slice((int)begin, (int)(end - begin));
            entries.Add(new StateEntry(name, new HostTensor(shape, ElementDecoder.Decode(dtype, bytes)), dtype));
        }
        return entries;
    }

    private static (string, string, int[], long, long) ParseLayout(JsonProperty property, long dataLength, string source, ResourceLimits limits)
    {
        string name = PrintableText.Of(property.Name);
        var value = property.Value;
        string Fail(string what) => throw new InvalidInputException($"{source}: tensor '{name}': {what}");
        if (value.ValueKind != JsonValueKind.Object) Fail("header entry must be an object");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            Fail("header entry has no dtype string");
        string dtype = PrintableText.Of(dtypeElement.GetString()!);
        int elementSize = ElementDecoder.SizeOf(dtype);
        if (elementSize == 0) Fail($"dtype {dtype} is not supported (expected F32, F16, BF16, F64, I64 or I32)");
        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            Fail("header entry has no shape array");
        var shape = new List<int>();
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int dim) || dim < 0) Fail("shape must hold non-negative integers");
            shape.Add(d.GetInt32());
        }
        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            Fail("header entry has no [begin, end] data_offsets");
        if (!offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end)) Fail("data_offsets must be integers");
        if (begin < 0 || end < begin || end > dataLength)
            Fail($"data_offsets [{begin}, {end}) lie outside the data section of {dataLength} bytes (file truncated?)");
        // Checked as the product is formed: a few extents of 2^31 would wrap a 64-bit product to a small size.
        long expected = limits.CheckProduct(ResourceLimits.TensorElements, shape.Select(d => (long)d).ToArray(), $"{source}: tensor '{name}' element count") * elementSize;
        if (end - begin != expected)
            Fail($"holds {end - begin} bytes, expected {expected} for {dtype} {HostTensor.FormatShape(shape.ToArray())}");
        return (name, dtype, shape.ToArray(), begin, end);
    }
}
