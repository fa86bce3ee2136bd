namespace Ompq.Runtime.Io;

/// <summary>
/// Opens and reads files named by a user with a bound on what they can cost. A device (/dev/zero), a FIFO or a socket
/// reports no size and never ends, and opening a FIFO blocks until someone writes to it, so only regular files with a
/// size are read, and never more bytes than that size and the <see cref="ResourceLimits.MaxInputBytes"/> limit allow.
/// </summary>
public static class InputFile
{
    /// <summary>The file's size, after checking that it is a non-empty regular file within the input-bytes limit.</summary>
    /// <param name="what">How messages name the file, e.g. "--weights 'w.pt'" or just the path.</param>
    public static long CheckReadable(string path, ResourceLimits limits, string what)
    {
        FileInfo info;
        try { info = new FileInfo(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new InvalidInputException($"{what}: not a usable file path ({PrintableText.Of(e.Message)})", e);
        }
        if (!info.Exists) throw new InvalidInputException($"{what}: the file does not exist");
        // Devices, FIFOs and sockets have no size in the file system (Linux st_size is 0); neither has an empty file,
        // which no reader here accepts either.
        long length = info.Length;
        if (length == 0) throw new InvalidInputException($"{what}: is empty or not a regular file (a device, FIFO or socket); expected a regular file");
        limits.Check(ResourceLimits.InputBytes, length, $"{what}: file size in bytes");
        return length;
    }

    /// <summary>Opens a regular file for reading after <see cref="CheckReadable"/>; returns the stream and the size it had.</summary>
    public static FileStream Open(string path, ResourceLimits limits, string what, out long length)
    {
        length = CheckReadable(path, limits, what);
        try { return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"{what}: cannot read the file ({PrintableText.Of(e.Message)})", e);
        }
    }

    /// <summary>All bytes of a regular file (the size it had when checked: a file that grows meanwhile is read only that far).</summary>
    public static byte[] ReadAllBytes(string path, ResourceLimits limits, string what)
    {
        using var stream = Open(path, limits, what, out long length);
        var bytes = new byte[length];
        int read;
        try { read = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"{what}: cannot read the file ({PrintableText.Of(e.Message)})", e);
        }
        if (read < length) throw new InvalidInputException($"{what}: the file shrank while it was read ({read} of {length} bytes)");
        return bytes;
    }

    /// <summary>
    /// Reads a stream (an archive entry, a decompressing stream) that declares <paramref name="declared"/> bytes: the
    /// declaration is checked against the input-bytes limit first, and reading stops one byte past it, so a compression
    /// bomb costs at most what it declared.
    /// </summary>
    public static byte[] ReadDeclared(Stream stream, long declared, ResourceLimits limits, string what)
    {
        if (declared < 0) throw new InvalidInputException($"{what}: declares a negative size {declared}");
        limits.Check(ResourceLimits.InputBytes, declared, $"{what}: declared size in bytes");
        var bytes = new byte[declared];
        int read = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        if (read < declared) throw new InvalidInputException($"{what}: holds {read} bytes, expected {declared} (truncated or corrupt)");
        if (stream.ReadByte() >= 0) throw new InvalidInputException($"{what}: holds more than the {declared} bytes it declares (corrupt)");
        return bytes;
    }
}
