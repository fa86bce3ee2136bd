namespace Ompq.Runtime.Export;

/// <summary>
/// Weight codes at their own width: each code is stored as its low <c>bits</c> bits (two's complement), codes one after
/// another from the least significant bit of byte 0 on, so a b-bit tensor of n codes takes ⌈n·b/8⌉ bytes (four 2-bit
/// codes per byte, two 4-bit, ...). Sign extension on unpacking restores −2^(b−1)..2^(b−1)−1 exactly.
/// </summary>
public static class PackedCodes
{
    public static long ByteCount(long codes, int bits) => checked(codes * bits + 7) / 8;

    public static byte[] Pack(ReadOnlySpan<sbyte> codes, int bits)
    {
        CheckBits(bits);
        int low = -(1 << (bits - 1)), high = (1 << (bits - 1)) - 1;
        var packed = new byte[ByteCount(codes.Length, bits)];
        long bit = 0;
        int mask = (1 << bits) - 1;
        foreach (sbyte code in codes)
        {
            if (code < low || code > high) throw new ArgumentOutOfRangeException(nameof(codes), $"code {code} does not fit {bits} bits");
            int field = code & mask;
            long index = bit >> 3;
            int shift = (int)(bit & 7);
            packed[index] |= (byte)(field << shift);
            if (shift + bits > 8) packed[index + 1] |= (byte)(field >> (8 - shift));
            bit += bits;
        }
        return packed;
    }

    /// <summary>The <paramref name="count"/> codes of <paramref name="packed"/>; its length must be exactly <see cref="ByteCount"/>.</summary>
    public static sbyte[] Unpack(ReadOnlySpan<byte> packed, int bits, long count)
    {
        CheckBits(bits);
        if (packed.Length != ByteCount(count, bits))
            throw new ArgumentException($"{packed.Length} packed bytes for {count} codes of {bits} bits, expected {ByteCount(count, bits)}");
        var codes = new sbyte[count];
        long bit = 0;
        int mask = (1 << bits) - 1, sign = 1 << (bits - 1);
        for (long i = 0; i < count; i++, bit += bits)
        {
            long index = bit >> 3;
            int shift = (int)(bit & 7);
            int field = packed[(int)index] >> shift;
            if (shift + bits > 8) field |= packed[(int)index + 1] << (8 - shift);
            field &= mask;
            codes[i] = (sbyte)((field ^ sign) - sign);
        }
        return codes;
    }

    private static void CheckBits(int bits)
    {
        if (bits < 2 || bits > 8) throw new ArgumentOutOfRangeException(nameof(bits), $"weight width must be 2..8, got {bits}");
    }
}
