using System.Buffers.Binary;
using System.IO.Compression;
using Ompq.Host.Plots;

namespace Ompq.Tests.Cli;

/// <summary>An independent PNG reader for the tests: checks signature, chunk CRCs and that IDAT inflates to the image.</summary>
internal static class PngChecks
{
    public sealed record Png(int Width, int Height, int DistinctColours);

    public static Png Decode(byte[] bytes)
    {
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        int pos = 8, width = 0, height = 0;
        using var idat = new MemoryStream();
        bool end = false;
        while (!end)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(pos));
            string type = System.Text.Encoding.ASCII.GetString(bytes, pos + 4, 4);
            var data = bytes.AsSpan(pos + 8, length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(pos + 8 + length));
            Assert.Equal(BitwiseCrc32(bytes.AsSpan(pos + 4, 4 + length)), crc);
            switch (type)
            {
                case "IHDR":
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    Assert.Equal(8, data[8]);
                    Assert.Equal(2, data[9]);
                    break;
                case "IDAT": idat.Write(data); break;
                case "IEND": end = true; break;
            }
            pos += 12 + length;
        }
        Assert.Equal(bytes.Length, pos);
        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionMode.Decompress)) z.CopyTo(inflated);
        byte[] raw = inflated.ToArray();
        Assert.Equal(height * (1 + 3 * width), raw.Length);
        var colours = new HashSet<int>();
        for (int y = 0; y < height; y++)
        {
            Assert.Equal(0, raw[y * (1 + 3 * width)]);
            for (int x = 0; x < width; x++)
            {
                int p = y * (1 + 3 * width) + 1 + 3 * x;
                colours.Add(raw[p] << 16 | raw[p + 1] << 8 | raw[p + 2]);
            }
        }
        return new Png(width, height, colours.Count);
    }

    /// <summary>CRC-32 computed bit by bit (no table), independent of the encoder's table-driven one.</summary>
    private static uint BitwiseCrc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }
}

public sealed class PngEncoderTests
{
    [Fact]
    public void EncoderRoundTripsASmallImage()
    {
        var image = new RgbImage(7, 5, (10, 20, 30));
        image.FillRect(2, 1, 3, 2, (200, 100, 0));
        var png = PngChecks.Decode(PngEncoder.Encode(image));
        Assert.Equal((7, 5, 2), (png.Width, png.Height, png.DistinctColours));
    }

    [Fact]
    public void Crc32OfTheStandardCheckString()
    {
        // The CRC-32 check value of "123456789" is 0xCBF43926.
        Assert.Equal(0xCBF43926u, PngEncoder.Crc32(0xFFFFFFFF, "123456789"u8) ^ 0xFFFFFFFF);
    }
}
