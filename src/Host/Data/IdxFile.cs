using System.Buffers.Binary;
using System.IO.Compression;
using Ompq.Runtime;
using Ompq.Runtime.Io;

namespace Ompq.Host.Data;

/// <summary>
/// The IDX container shared by image and label files (optionally gzip-compressed): bytes 0–1 zero, byte 2 the
/// element type, byte 3 the number of dimensions, then one big-endian int32 per dimension, then the elements.
/// Files are treated as hostile: the header is validated and the payload size computed in 64-bit arithmetic and
/// checked against a limit before anything that size is allocated, and a short file is reported, not zero-filled.
/// </summary>
internal static class IdxFile
{
    public const byte UnsignedByte = 0x08;
    public const byte Float32 = 0x0D;

    /// <summary>What a caller accepts, and the words its messages use ("image", "label").</summary>
    public sealed record Format(string Kind, string Example, int Dimensions, byte[] ElementTypes, string MagicDescription);

    /// <summary>The whole file (header included, so element offsets are header + i), its element type and dimensions.</summary>
    public sealed record Contents(byte[] Bytes, byte ElementType, int[] Dimensions)
    {
        public int HeaderLength => 4 + 4 * Dimensions.Length;
        public string Shape => string.Join("×", Dimensions);
    }

    /// <summary>The most bytes one file may hold: the input-bytes limit, and never more than one .NET array can.</summary>
    public static long MaxBytes(ResourceLimits limits) => Math.Min(limits.MaxInputBytes, Array.MaxLength);

    public static Contents Read(string path, Format format, ResourceLimits? limits = null)
    {
        limits ??= ResourceLimits.Default;
        if (!File.Exists(path))
            throw new InvalidInputException($"{format.Kind} file '{path}' does not exist; expected an IDX {format.Kind} file (e.g. {format.Example}[.gz])");
        // Devices and FIFOs (/dev/zero) are refused before they are opened: they have no end to read to.
        using var file = InputFile.Open(path, limits, $"{format.Kind} file '{path}'", out long fileLength);
        try
        {
            using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
            return Read(path, format, stream, stream is FileStream ? fileLength : null, MaxBytes(limits));
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"{format.Kind} file '{path}' could not be read ({ex.Message}); expected an IDX {format.Kind} file, optionally gzip-compressed", ex);
        }
    }

    private static Contents Read(string path, Format format, Stream stream, long? knownLength, long maxBytes)
    {
        int headerLength = 4 + 4 * format.Dimensions;
        var header = new byte[headerLength];
        int headerRead = stream.ReadAtLeast(header, headerLength, throwOnEndOfStream: false);
        if (headerRead < 4 || header[0] != 0 || header[1] != 0 || header[3] != format.Dimensions || !format.ElementTypes.Contains(header[2]))
            throw new InvalidInputException($"'{path}' is not an IDX {format.Kind} file: expected {format.MagicDescription}");
        if (headerRead < headerLength)
            throw new InvalidInputException($"IDX file '{path}' is truncated: its header ends after {headerRead} of {headerLength} bytes");

        var dimensions = new int[format.Dimensions];
        for (int d = 0; d < dimensions.Length; d++) dimensions[d] = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4 + 4 * d));
        string shape = string.Join("×", dimensions);
        byte elementType = header[2];
        long elementSize = elementType == Float32 ? 4 : 1;

        // Multiply up dimension by dimension, stopping before the product can pass the limit (so it never overflows).
        long total = elementSize;
        foreach (int extent in dimensions)
        {
            if (extent <= 0)
                throw new InvalidInputException($"IDX file '{path}' is truncated or corrupt: header says {shape}; expected positive sizes");
            if (total > (maxBytes - headerLength) / extent)
                throw ResourceLimits.Exceeded(ResourceLimits.InputBytes,
                    $"IDX file '{path}' is corrupt or too large: header says {shape}, more than the {maxBytes} bytes one file may hold ({ResourceLimits.InputBytes} limit)");
            total *= extent;
        }
        total += headerLength;

        if (knownLength is long length && length < total)
            throw Truncated(path, shape, total, length);
        byte[] bytes = ReadPayload(stream, header, total, out long found);
        if (found < total) throw Truncated(path, shape, total, found);
        return new Contents(bytes, elementType, dimensions);
    }

    private static InvalidInputException Truncated(string path, string shape, long expected, long found)
        => new($"IDX file '{path}' is truncated or corrupt: header says {shape}, expected {expected} bytes, found {found}");

    /// <summary>
    /// Reads up to <paramref name="total"/> bytes, growing the buffer as data arrives: a compressed file's header
    /// can claim gigabytes it does not hold, and memory should follow what is there, not what is claimed.
    /// </summary>
    private static byte[] ReadPayload(Stream stream, byte[] header, long total, out long found)
    {
        const int FirstChunk = 1 << 20;
        var buffer = new byte[Math.Min(total, Math.Max(header.Length, FirstChunk))];
        header.CopyTo(buffer, 0);
        long filled = header.Length;
        while (filled < total)
        {
            if (filled == buffer.Length)
            {
                var grown = new byte[Math.Min(total, 2L * buffer.Length)];
                buffer.AsSpan(0, (int)filled).CopyTo(grown);
                buffer = grown;
            }
            int read = stream.Read(buffer, (int)filled, buffer.Length - (int)filled);
            if (read == 0) break;
            filled += read;
        }
        found = filled;
        return buffer;
    }
}
