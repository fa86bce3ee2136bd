using System.IO.Compression;
using System.Text;
using Ompq.Runtime;
using Ompq.Runtime.Io;
using Ompq.Runtime.Io.Safetensors;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Tensors;
using Ompq.Tests.Nn;
using TorchSharp.PyBridge;

namespace Ompq.Tests.Io;

/// <summary>State-dict loading: names, shapes, num_batches_tracked, all-or-nothing, corrupt PyTorch zips.</summary>
public sealed class WeightLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ompq-wl-").FullName;

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static Dictionary<string, HostTensor> StateOf(Ompq.Runtime.Nn.Graph.GraphModel model)
        => model.Parameters.Names.ToDictionary(n => n, n => new HostTensor((int[])model.Parameters[n].Shape.Clone(), (float[])model.Parameters[n].Data.Clone()));

    [Fact]
    public void LoadsSafetensorsAndIgnoresNumBatchesTracked()
    {
        using var source = ModelZoo.Create("resnet20", seed: 1);
        var state = StateOf(source);
        state["bn1.num_batches_tracked"] = HostTensor.Zeros();
        string path = PathOf("ok.safetensors");
        SafetensorsWriter.Write(path, state);
        using var target = ModelZoo.Create("resnet20", seed: 2);
        Assert.NotEqual(source.Parameters["layer3.2.conv2.weight"].Data, target.Parameters["layer3.2.conv2.weight"].Data);
        int version = target.Parameters.Version;
        WeightLoader.Load(target, path);
        Assert.Equal(source.Parameters["layer3.2.conv2.weight"].Data, target.Parameters["layer3.2.conv2.weight"].Data);
        Assert.True(target.Parameters.Version > version);
    }

    [Fact]
    public void MisShapedTensorIsNamedAndNothingIsLoaded()
    {
        using var source = ModelZoo.Create("resnet20", seed: 1);
        var state = StateOf(source);
        state["layer1.0.conv1.weight"] = HostTensor.Zeros(16, 16, 3, 1);
        string path = PathOf("shape.safetensors");
        SafetensorsWriter.Write(path, state);
        using var target = ModelZoo.Create("resnet20", seed: 2);
        var before = (float[])target.Parameters["fc.weight"].Data.Clone();
        var e = Assert.Throws<InvalidInputException>(() => WeightLoader.Load(target, path));
        Assert.Equal($"{path}: tensor 'layer1.0.conv1.weight' has shape [16, 16, 3, 1], expected [16, 16, 3, 3]", e.Message);
        Assert.Equal(before, target.Parameters["fc.weight"].Data);
    }

    [Fact]
    public void MissingAndUnexpectedTensorsAreNamed()
    {
        using var source = ModelZoo.Create("resnet20", seed: 1);
        var state = StateOf(source);
        state.Remove("fc.bias");
        string missing = PathOf("missing.safetensors");
        SafetensorsWriter.Write(missing, state);
        using var target = ModelZoo.Create("resnet20");
        var e = Assert.Throws<InvalidInputException>(() => WeightLoader.Load(target, missing));
        Assert.Contains("missing tensor 'fc.bias' (expected shape [10])", e.Message);

        state = StateOf(source);
        state["head.weight"] = HostTensor.Zeros(2, 2);
        string unexpected = PathOf("unexpected.safetensors");
        SafetensorsWriter.Write(unexpected, state);
        e = Assert.Throws<InvalidInputException>(() => WeightLoader.Load(target, unexpected));
        Assert.Contains("unexpected tensor 'head.weight'", e.Message);
    }

    [Fact]
    public void ResNet18WeightsDoNotFitMobileNet()
    {
        using var resnet = ModelZoo.Create("resnet18", inputSize: 32);
        string path = PathOf("r18.safetensors");
        WeightLoader.SaveSafetensors(resnet, path);
        using var mobilenet = ModelZoo.Create("mobilenet_v2", inputSize: 32);
        var e = Assert.Throws<InvalidInputException>(() => WeightLoader.Load(mobilenet, path));
        Assert.Matches("more problems\\)$", e.Message);
    }

    [Fact]
    public void PyTorchZipReadsTheSameTensorsAsSafetensors()
    {
        using var reference = new TorchResNet20();
        string pt = PathOf("m.pt"), st = PathOf("m.safetensors");
        reference.save_py(pt);
        reference.save_safetensors(st);
        var fromZip = WeightLoader.ReadStateDict(pt).ToDictionary(e => e.Name);
        var fromSt = WeightLoader.ReadStateDict(st).ToDictionary(e => e.Name);
        Assert.Equal(fromSt.Keys.OrderBy(k => k), fromZip.Keys.OrderBy(k => k));
        Assert.Contains("bn1.num_batches_tracked", fromZip.Keys);
        foreach (var (name, entry) in fromSt)
        {
            Assert.Equal(entry.Tensor.Shape, fromZip[name].Tensor.Shape);
            Assert.Equal(entry.Tensor.Data, fromZip[name].Tensor.Data);
        }
    }

    [Fact]
    public void TruncatedPyTorchZipIsRejected()
    {
        using var reference = new TorchResNet20();
        string pt = PathOf("t.pt");
        reference.save_py(pt);
        var bytes = File.ReadAllBytes(pt);
        File.WriteAllBytes(pt, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidInputException>(() => WeightLoader.ReadStateDict(pt));
        Assert.StartsWith($"{pt}: ", e.Message);
    }

    [Fact]
    public void MissingStorageEntryIsNamed()
    {
        using var reference = new TorchResNet20();
        string pt = PathOf("s.pt");
        reference.save_py(pt);
        using (var zip = ZipFile.Open(pt, ZipArchiveMode.Update))
            zip.Entries.First(en => en.FullName.EndsWith("/data/0", StringComparison.Ordinal)).Delete();
        var e = Assert.Throws<InvalidInputException>(() => WeightLoader.ReadStateDict(pt));
        Assert.Contains("storage data/0 is missing", e.Message);
    }

    [Fact]
    public void PickleThatCallsCodeIsRefused()
    {
        // protocol 2: posix.system("true") — a classic malicious payload; it must be refused, never executed.
        var pickle = new List<byte> { 0x80, 0x02 };
        pickle.AddRange(Encoding.ASCII.GetBytes("cposix\nsystem\nq\x00"));
        pickle.Add((byte)'X');
        pickle.AddRange(BitConverter.GetBytes(4));
        pickle.AddRange(Encoding.ASCII.GetBytes("true"));
        pickle.AddRange(new byte[] { 0x85, (byte)'R', (byte)'.' });
        string pt = PathOf("evil.pt");
        using (var zip = ZipFile.Open(pt, ZipArchiveMode.Create))
        {
            using var s = zip.CreateEntry("archive/data.pkl").Open();
            s.Write(pickle.ToArray());
        }
        var e = Assert.Throws<InvalidInputException>(() => WeightLoader.ReadStateDict(pt));
        Assert.Contains("global posix.system is not allowed", e.Message);
    }

    [Fact]
    public void MissingFileIsReported()
    {
        var e = Assert.Throws<InvalidInputException>(() => WeightLoader.ReadStateDict(PathOf("nope.pt")));
        Assert.Contains("not found", e.Message);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
