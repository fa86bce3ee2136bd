using System.Buffers.Binary;
using Ompq.Runtime;
using Ompq.Runtime.Io;

namespace Ompq.Host.Data;

/// <summary>
/// Reads an IDX image file (MNIST format, optionally gzip-compressed): magic 0x0000_08_03 (unsigned bytes, scaled
/// to [0, 1]) or 0x0000_0D_03 (big-endian float32, taken as [0, 1] values), then count, rows, columns. The
/// container checks (sizes, truncation, gzip) are <see cref="IdxFile"/>'s.
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
        public bool IsUnsignedByte => !_isFloat;

        /// <summary>All pixels of an unsigned-byte file, image after image, each Rows×Columns (0 = black, 255 = white).</summary>
        public ReadOnlyMemory<byte> UnsignedBytes => _isFloat
            ? throw new InvalidOperationException("this IDX file holds float32 pixels, not unsigned bytes")
            : _bytes.AsMemory(16, Count * Rows * Columns);

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

    private static readonly IdxFile.Format ImageFormat = new("image", "t10k-images-idx3-ubyte", 3, [IdxFile.UnsignedByte, IdxFile.Float32],
        "magic 0x00000803 (ubyte) or 0x00000D03 (float32) with 3 dimensions");

    public static Images Read(string path, ResourceLimits? limits = null)
    {
        limits ??= ResourceLimits.Default;
        var file = IdxFile.Read(path, ImageFormat, limits);
        limits.CheckProduct(ResourceLimits.ImagePixels, [file.Dimensions[1], file.Dimensions[2]], $"IDX file '{path}': image rows×columns");
        return new Images(file.Bytes, file.ElementType == IdxFile.Float32, file.Dimensions[0], file.Dimensions[1], file.Dimensions[2]);
    }
}
