using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Io.Safetensors;

/// <summary>Writes tensors as a safetensors file (F32, or I64 for named integer tensors), atomically (<see cref="AtomicFile"/>).</summary>
public static class SafetensorsWriter
{
    /// <param name="int64Names">Tensors stored as I64 (values rounded), e.g. PyTorch's num_batches_tracked counters.</param>
    public static void Write(string path, IEnumerable<KeyValuePair<string, HostTensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null,
        IReadOnlySet<string>? int64Names = null)
    {
        bool IsInt64(string name) => int64Names is not null && int64Names.Contains(name);
        var list = tensors.ToList();
        var headerBuffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(headerBuffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (name, tensor) in list)
            {
                if (!seen.Add(name)) throw new ArgumentException($"tensor '{name}' appears twice");
                json.WriteStartObject(name);
                json.WriteString("dtype", IsInt64(name) ? "I64" : "F32");
                json.WriteStartArray("shape");
                foreach (int d in tensor.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += tensor.Size * (IsInt64(name) ? 8 : 4);
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        var header = headerBuffer.ToArray();
        int padded = (header.Length + 7) / 8 * 8; // the data section starts 8-byte aligned
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            stream.Write(length);
            stream.Write(header);
            for (int i = header.Length; i < padded; i++) stream.WriteByte((byte)' ');
            var chunk = new byte[1 << 16];
            foreach (var (name, tensor) in list)
            {
                var data = tensor.Data;
                if (IsInt64(name))
                {
                    var longs = new byte[8];
                    foreach (float v in data)
                    {
                        BinaryPrimitives.WriteInt64LittleEndian(longs, (long)Math.Round(v));
                        stream.Write(longs);
                    }
                    continue;
                }
                for (int start = 0; start < data.Length; start += chunk.Length / 4)
                {
                    int count = Math.Min(chunk.Length / 4, data.Length - start);
                    for (int i = 0; i < count; i++) BinaryPrimitives.WriteSingleLittleEndian(chunk.AsSpan(4 * i), data[start + i]);
                    stream.Write(chunk, 0, 4 * count);
                }
            }
        });
    }
}
