using System.Buffers.Binary;
using System.Text;

namespace Ompq.Runtime.Io.Onnx;

/// <summary>
/// A minimal protobuf wire-format reader over a byte range: field tags, varints, fixed 32/64-bit values and
/// length-delimited payloads. Malformed input throws <see cref="InvalidDataException"/>.
/// </summary>
internal ref struct ProtoReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;

    public ProtoReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _pos = 0;
    }

    public bool AtEnd => _pos >= _data.Length;

    /// <summary>Reads the next tag; returns false at the end.</summary>
    public bool Next(out int field, out int wireType)
    {
        if (AtEnd) { field = 0; wireType = 0; return false; }
        ulong tag = ReadVarint();
        field = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        if (field <= 0) throw new InvalidDataException($"invalid protobuf field number at byte {_pos}");
        return true;
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_pos >= _data.Length) throw new InvalidDataException("protobuf varint runs past the end");
            byte b = _data[_pos++];
            result |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return result;
        }
        throw new InvalidDataException("protobuf varint is longer than 10 bytes");
    }

    public long ReadInt64() => (long)ReadVarint();

    public float ReadFixedFloat() => BinaryPrimitives.ReadSingleLittleEndian(Take(4));

    public double ReadFixedDouble() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

    public ReadOnlySpan<byte> ReadBytes()
    {
        ulong length = ReadVarint();
        if (length > (ulong)(_data.Length - _pos)) throw new InvalidDataException($"protobuf field of {length} bytes runs past the end");
        return Take((int)length);
    }

    public string ReadString() => PrintableText.Of(Encoding.UTF8.GetString(ReadBytes()));

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case 0: ReadVarint(); break;
            case 1: Take(8); break;
            case 2: ReadBytes(); break;
            case 5: Take(4); break;
            default: throw new InvalidDataException($"unsupported protobuf wire type {wireType}");
        }
    }

    /// <summary>Reads a repeated int64 field given as one packed payload (wire type 2) or one element (wire type 0).</summary>
    public void ReadInt64s(int wireType, List<long> target)
    {
        if (wireType == 0) { target.Add(ReadInt64()); return; }
        var inner = new ProtoReader(ReadBytes());
        while (!inner.AtEnd) target.Add(inner.ReadInt64());
    }

    /// <summary>Reads a repeated float field given packed (wire type 2) or as one fixed32 element (wire type 5).</summary>
    public void ReadFloats(int wireType, List<float> target)
    {
        if (wireType == 5) { target.Add(ReadFixedFloat()); return; }
        var bytes = ReadBytes();
        if (bytes.Length % 4 != 0) throw new InvalidDataException("packed float field length is not a multiple of 4");
        for (int i = 0; i < bytes.Length; i += 4) target.Add(BinaryPrimitives.ReadSingleLittleEndian(bytes[i..]));
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _data.Length - _pos) throw new InvalidDataException("protobuf field runs past the end");
        var span = _data.Slice(_pos, count);
        _pos += count;
        return span;
    }
}
