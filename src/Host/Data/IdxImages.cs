using System.Buffers.Binary;
using System.IO.Compression;
using Ompq.Runtime;

namespace Ompq.Host.Data;

/// <summary>
/// Reads an IDX image file (MNIST format, optionally gzip-compressed): magic 0x0000_08_03 (unsigned bytes, scaled
/// to [0, 1]) or 0x0000_0D_03 (big-endian float32, taken as [0, 1] values), then count, rows, columns.
/// </summary>
public static class IdxImages
{
    /// <summary>The file's bytes; pixels are converted only for the images a batch draws, not for the whole set.</summary>
    public sealed class Images
    {
        private readonly byte[] _bytes;
        private readonly bool _isFloat;

        internal Images(byte[] bytes, bool isFloat, int count, int rows, int columns)
        {
            _bytes = bytes;
            _isFloat = isFloat;
            Count = count;
            Rows = rows;
            Columns = columns;
        }

        public int Count { get; }
        public int Rows { get; }
        public int Columns { get; }

        /// <summary>Writes image <paramref name="index"/> (Rows×Columns values in [0, 1]) into <paramref name="destination"/>.</summary>
        public void CopyImage(int index, Span<float> destination)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            int plane = Rows * Columns;
            if (destination.Length < plane) throw new ArgumentException($"destination holds {destination.Length} values, expected {plane}");
            if (_isFloat)
            {
                var source = _bytes.AsSpan(checked(16 + 4 * index * plane), 4 * plane);
                for (int i = 0; i < plane; i++) destination[i] = BinaryPrimitives.ReadSingleBigEndian(source[(4 * i)..]);
            }
            else
            {
                var source = _bytes.AsSpan(checked(16 + index * plane), plane);
                for (int i = 0; i < plane; i++) destination[i] = source[i] / 255f;
            }
        }
    }

    public static Images Read(string path)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"image file '{path}' does not exist; expected an IDX image file (e.g. t10k-images-idx3-ubyte[.gz])");
        byte[] bytes;
        try
        {
            using var file = File.OpenRead(path);
            using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            bytes = memory.ToArray();
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            throw new InvalidInputException($"image file '{path}' could not be read ({ex.Message}); expected an IDX image file, optionally gzip-compressed", ex);
        }

        if (bytes.Length < 16 || bytes[0] != 0 || bytes[1] != 0 || bytes[3] != 3 || (bytes[2] != 0x08 && bytes[2] != 0x0D))
            throw new InvalidInputException($"'{path}' is not an IDX image file: expected magic 0x00000803 (ubyte) or 0x00000D03 (float32) with 3 dimensions");
        int count = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
        int rows = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(8));
        int cols = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(12));
        bool isFloat = bytes[2] == 0x0D;
        long needed = 16 + (long)count * rows * cols * (isFloat ? 4 : 1);
        if (count <= 0 || rows <= 0 || cols <= 0 || bytes.Length < needed)
            throw new InvalidInputException($"IDX file '{path}' is truncated or corrupt: header says {count}×{rows}×{cols}, expected {needed} bytes, found {bytes.Length}");
        return new Images(bytes, isFloat, count, rows, cols);
    }
}
