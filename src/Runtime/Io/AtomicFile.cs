namespace Ompq.Runtime.Io;

/// <summary>
/// Writes a file completely or not at all: to a temporary file beside it, flushed to disk, then renamed over the
/// target, so a crash or a failed write never leaves a truncated file under the real name.
/// </summary>
public static class AtomicFile
{
    /// <summary>Throws <see cref="InvalidInputException"/> unless <paramref name="path"/> names a file in an existing folder.</summary>
    public static void CheckWritable(string path)
    {
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (dir is null || !Directory.Exists(dir))
            throw new InvalidInputException($"cannot write '{path}': folder '{dir}' does not exist; expected a file in an existing folder");
        if (Directory.Exists(full))
            throw new InvalidInputException($"cannot write '{path}': it is a folder, expected a file path");
    }

    public static void Write(string path, byte[] content) => Write(path, stream => stream.Write(content));

    /// <summary>Creates the file from what <paramref name="writeContent"/> writes; I/O failures become <see cref="InvalidInputException"/> naming the path.</summary>
    public static void Write(string path, Action<Stream> writeContent)
    {
        CheckWritable(path);
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                writeContent(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"cannot write '{path}': {PrintableText.Of(ex.Message)}", ex);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
