using Ompq.Runtime;
using Ompq.Runtime.Io;

namespace Ompq.Tests.Io;

/// <summary>Outputs appear whole or not at all, and a failed write leaves the previous file and no temporary behind.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ompq-atomic-").FullName;

    [Fact]
    public void WriteReplacesTheFileAndLeavesNoTemporary()
    {
        string path = Path.Combine(_dir, "out.json");
        AtomicFile.Write(path, [1, 2, 3]);
        AtomicFile.Write(path, stream => stream.Write([4, 5]));
        Assert.Equal(new byte[] { 4, 5 }, File.ReadAllBytes(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(_dir));
    }

    [Fact]
    public void FailedWriteKeepsThePreviousFile()
    {
        string path = Path.Combine(_dir, "model.safetensors");
        AtomicFile.Write(path, [7, 7, 7]);
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write([1]);
            throw new InvalidOperationException("serialiser failed half way");
        }));
        Assert.Equal(new byte[] { 7, 7, 7 }, File.ReadAllBytes(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(_dir));
    }

    [Fact]
    public void UnwritablePathsAreNamed()
    {
        string missing = Path.Combine(_dir, "no-such-folder", "x.json");
        var e = Assert.Throws<InvalidInputException>(() => AtomicFile.Write(missing, [1]));
        Assert.Equal($"cannot write '{missing}': folder '{Path.GetDirectoryName(missing)}' does not exist; expected a file in an existing folder", e.Message);
        e = Assert.Throws<InvalidInputException>(() => AtomicFile.Write(_dir, [1]));
        Assert.Equal($"cannot write '{_dir}': it is a folder, expected a file path", e.Message);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
