using System.IO.Compression;
using Ompq.Runtime;
using Ompq.Runtime.Io;
using Ompq.Runtime.Io.Onnx;
using Ompq.Tests.Nn;
using TorchSharp.PyBridge;

namespace Ompq.Tests.Io;

/// <summary>Randomly damaged files must fail with <see cref="InvalidInputException"/> (or still read), never with another exception.</summary>
public sealed class CorruptFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ompq-corrupt-").FullName;

    private void DamageAndRead(byte[] original, int headerBytes, Action<string> read, int seed)
    {
        var rng = new Random(seed);
        int failures = 0;
        for (int trial = 0; trial < 60; trial++)
        {
            var bytes = (byte[])original.Clone();
            int flips = 1 + rng.Next(4);
            for (int f = 0; f < flips; f++) bytes[rng.Next(Math.Min(headerBytes, bytes.Length))] = (byte)rng.Next(256);
            if (trial % 5 == 0) bytes = bytes[..rng.Next(bytes.Length)];
            string path = Path.Combine(_dir, $"damaged{trial}");
            File.WriteAllBytes(path, bytes);
            try { read(path); }
            catch (InvalidInputException e)
            {
                failures++;
                Assert.DoesNotContain('\n', e.Message);
                Assert.Contains(path, e.Message);
            }
        }
        Assert.True(failures > 0, "no damaged file was rejected");
    }

    [Fact]
    public void DamagedSafetensorsHeaders()
    {
        using var reference = new TorchResNet20();
        string path = Path.Combine(_dir, "m.safetensors");
        reference.save_safetensors(path);
        var bytes = File.ReadAllBytes(path);
        int header = 8 + (int)BitConverter.ToUInt64(bytes, 0);
        DamageAndRead(bytes, header, p => WeightLoader.ReadStateDict(p), seed: 1);
    }

    [Fact]
    public void DamagedPyTorchZips()
    {
        using var reference = new TorchResNet20();
        string path = Path.Combine(_dir, "m.pt");
        reference.save_py(path);
        var bytes = File.ReadAllBytes(path);
        DamageAndRead(bytes, bytes.Length, p => WeightLoader.ReadStateDict(p), seed: 2);
    }

    [Fact]
    public void DamagedPickleStreams()
    {
        using var reference = new TorchResNet20();
        string path = Path.Combine(_dir, "p.pt");
        reference.save_py(path);
        byte[] pickle;
        string pickleName;
        using (var zip = ZipFile.OpenRead(path))
        {
            var entry = zip.Entries.Single(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal));
            pickleName = entry.FullName;
            using var s = entry.Open();
            var buffer = new MemoryStream();
            s.CopyTo(buffer);
            pickle = buffer.ToArray();
        }
        // Damage only the pickle: the archive is rewritten around it so that its checksums stay valid.
        DamageAndRead(pickle, pickle.Length, damaged =>
        {
            var bytes = File.ReadAllBytes(damaged);
            string rebuilt = damaged + ".pt";
            File.Copy(path, rebuilt, overwrite: true);
            using (var zip = ZipFile.Open(rebuilt, ZipArchiveMode.Update))
            {
                zip.GetEntry(pickleName)!.Delete();
                using var s = zip.CreateEntry(pickleName).Open();
                s.Write(bytes);
            }
            try { WeightLoader.ReadStateDict(rebuilt); }
            catch (InvalidInputException e) { throw new InvalidInputException(e.Message.Replace(rebuilt, damaged), e); }
        }, seed: 4);
    }

    [Fact]
    public void DamagedOnnxModels()
    {
        var bytes = OnnxTestModels.ConvThen("Relu");
        DamageAndRead(bytes, bytes.Length, p => OnnxImporter.Load(p).Dispose(), seed: 3);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
