using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Ompq.Tests.Io;

/// <summary>
/// Writes PyTorch-style state-dict zips (archive/data.pkl + archive/data/&lt;key&gt;) with hand-written pickles, so tests
/// can declare any size, stride or opcode sequence a hostile file could.
/// </summary>
internal static class TorchZipBuilder
{
    /// <summary>A pickle of {name: _rebuild_tensor_v2(storage, offset, size, stride)} over one FloatStorage "0".</summary>
    public static byte[] TensorPickle(string name, long numel, long offset, long[] size, long[] stride)
    {
        var p = new MemoryStream();
        p.Write([0x80, 2, (byte)'}']);
        Text(p, name);
        Global(p, "torch._utils", "_rebuild_tensor_v2");
        p.WriteByte((byte)'(');
        p.WriteByte((byte)'(');
        Text(p, "storage");
        Global(p, "torch", "FloatStorage");
        Text(p, "0");
        Text(p, "cpu");
        Long(p, numel);
        p.Write([(byte)'t', (byte)'Q']);
        Long(p, offset);
        Tuple(p, size);
        Tuple(p, stride);
        p.Write([(byte)'t', (byte)'R', (byte)'s', (byte)'.']);
        return p.ToArray();
    }

    /// <summary>A zip with the pickle and a float storage of <paramref name="storageFloats"/> zeros.</summary>
    public static void Write(string path, byte[] pickle, int storageFloats)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        Entry(zip, "archive/data.pkl", pickle);
        Entry(zip, "archive/byteorder", Encoding.ASCII.GetBytes("little"));
        Entry(zip, "archive/data/0", new byte[4L * storageFloats]);
    }

    /// <summary>
    /// Rewrites the uncompressed size that the local header and the central directory declare for <paramref name="entry"/>
    /// (a zip bomb's claim, without writing gigabytes).
    /// </summary>
    public static void DeclareSize(string path, string entry, uint size)
    {
        var bytes = File.ReadAllBytes(path);
        var name = Encoding.ASCII.GetBytes(entry);
        for (int i = 0; i + 46 < bytes.Length; i++)
        {
            uint signature = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i));
            if (signature == 0x04034b50 && bytes.AsSpan(i + 30, name.Length).SequenceEqual(name))
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i + 22), size);
            if (signature == 0x02014b50 && bytes.AsSpan(i + 46, name.Length).SequenceEqual(name))
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i + 24), size);
        }
        File.WriteAllBytes(path, bytes);
    }

    private static void Entry(ZipArchive zip, string name, byte[] data)
    {
        using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
        s.Write(data);
    }

    private static void Text(Stream p, string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        p.WriteByte((byte)'X');
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, b.Length);
        p.Write(length);
        p.Write(b);
    }

    private static void Global(Stream p, string module, string name) => p.Write(Encoding.ASCII.GetBytes($"c{module}\n{name}\n"));

    /// <summary>LONG1 with 8 bytes: any int64, as the file would declare it.</summary>
    public static void Long(Stream p, long value)
    {
        p.Write([0x8a, 8]);
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, value);
        p.Write(b);
    }

    private static void Tuple(Stream p, long[] values)
    {
        p.WriteByte((byte)'(');
        foreach (long v in values) Long(p, v);
        p.WriteByte((byte)'t');
    }
}
