using System.IO.Compression;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Io.Torch;

/// <summary>
/// Reads a PyTorch <c>torch.save(state_dict)</c> zip file: &lt;archive&gt;/data.pkl (the dict of tensors, read by
/// <see cref="RestrictedUnpickler"/>) and &lt;archive&gt;/data/&lt;key&gt; (raw little-endian storages). A checkpoint
/// dict holding a "state_dict" or "model" dict is unwrapped.
/// </summary>
public static class TorchZipReader
{
    public static IReadOnlyList<StateEntry> Read(string path)
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            return Read(zip, path);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidInputException($"{path}: not a readable PyTorch zip file ({PrintableText.Of(e.Message)})", e);
        }
        catch (IOException e)
        {
            throw new InvalidInputException($"{path}: cannot read the file ({PrintableText.Of(e.Message)})", e);
        }
        catch (OverflowException e)
        {
            throw new InvalidInputException($"{path}: a length or size in the file is out of range ({PrintableText.Of(e.Message)})", e);
        }
    }

    private static IReadOnlyList<StateEntry> Read(ZipArchive zip, string path)
    {
        var pickle = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl").ToList();
        if (pickle.Count != 1)
            throw new InvalidInputException($"{path}: expected one data.pkl in the archive, found {pickle.Count}");
        string prefix = pickle[0].FullName[..^"data.pkl".Length];
        var byteOrder = zip.GetEntry(prefix + "byteorder");
        if (byteOrder is not null)
        {
            using var reader = new StreamReader(byteOrder.Open());
            string order = reader.ReadToEnd().Trim();
            if (order != "little") throw new InvalidInputException($"{path}: storages are {order}-endian; only little-endian is supported");
        }

        object? root = new RestrictedUnpickler(ReadEntry(pickle[0], path), path).Load();
        var dict = StateDictOf(root, path);
        var storages = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var entries = new List<StateEntry>();
        foreach (var (key, value) in dict.Items)
        {
            if (key is not string name) throw new InvalidInputException($"{path}: state dict key {key} is not a string");
            if (value is not TensorRef tensor) throw new InvalidInputException($"{path}: entry '{name}' is not a tensor");
            if (!storages.TryGetValue(tensor.Storage.Key, out var bytes))
            {
                var entry = zip.GetEntry($"{prefix}data/{tensor.Storage.Key}")
                    ?? throw new InvalidInputException($"{path}: tensor '{name}': storage data/{tensor.Storage.Key} is missing from the archive");
                storages[tensor.Storage.Key] = bytes = ReadEntry(entry, path);
            }
            entries.Add(Materialize(name, tensor, bytes, path));
        }
        return entries;
    }

    private static PickleDict StateDictOf(object? root, string path)
    {
        if (root is not PickleDict dict) throw new InvalidInputException($"{path}: data.pkl does not hold a dict of tensors");
        if (dict.Items.All(kv => kv.Value is TensorRef)) return dict;
        foreach (string wrapper in new[] { "state_dict", "model" })
            foreach (var (k, v) in dict.Items)
                if (k is string s && s == wrapper && v is PickleDict inner)
                    return inner;
        var bad = dict.Items.First(kv => kv.Value is not TensorRef);
        throw new InvalidInputException($"{path}: entry '{bad.Key}' is not a tensor and there is no 'state_dict' dict to unwrap");
    }

    internal static StateEntry Materialize(string name, TensorRef t, byte[] storage, string path)
    {
        string dtype = t.Storage.StorageType switch
        {
            "FloatStorage" => "F32",
            "HalfStorage" => "F16",
            "BFloat16Storage" => "BF16",
            "DoubleStorage" => "F64",
            "LongStorage" => "I64",
            "IntStorage" => "I32",
            var other => throw new InvalidInputException($"{path}: tensor '{name}': storage type {other} is not supported"),
        };
        int elementSize = ElementDecoder.SizeOf(dtype);
        long storageElements = storage.Length / elementSize;
        if (storageElements < t.Storage.Numel)
            throw new InvalidInputException($"{path}: tensor '{name}': storage {t.Storage.Key} holds {storageElements} elements, expected {t.Storage.Numel} (file truncated?)");
        if (t.Size.Length != t.Stride.Length || t.Size.Any(d => d < 0 || d > int.MaxValue) || t.Offset < 0)
            throw new InvalidInputException($"{path}: tensor '{name}': invalid size/stride");
        var shape = t.Size.Select(d => (int)d).ToArray();
        long count = HostTensor.ElementCount(shape);
        long maxIndex = t.Offset;
        for (int i = 0; i < shape.Length; i++) if (shape[i] > 0) maxIndex += (shape[i] - 1) * t.Stride[i];
        if (count > 0 && (maxIndex >= storageElements || t.Stride.Any(s => s < 0)))
            throw new InvalidInputException($"{path}: tensor '{name}' {HostTensor.FormatShape(shape)} reaches element {maxIndex} of a storage of {storageElements}");

        if (count == 0) return new StateEntry(name, new HostTensor(shape, []), dtype);

        // Decode only the elements the view reaches: storages can be much larger than one tensor (slices, shared storages).
        long reach = maxIndex - t.Offset + 1;
        var window = ElementDecoder.Decode(dtype, storage.AsSpan((int)(t.Offset * elementSize), (int)(reach * elementSize)));
        float[] values;
        if (IsContiguous(shape, t.Stride))
        {
            values = window; // a contiguous view reaches exactly its own elements
        }
        else
        {
            values = new float[count];
            var index = new int[shape.Length];
            for (long i = 0; i < count; i++)
            {
                long source = 0;
                for (int d = 0; d < shape.Length; d++) source += index[d] * t.Stride[d];
                values[i] = window[source];
                for (int d = shape.Length - 1; d >= 0; d--)
                {
                    if (++index[d] < shape[d]) break;
                    index[d] = 0;
                }
            }
        }
        return new StateEntry(name, new HostTensor(shape, values), dtype);
    }

    private static bool IsContiguous(int[] shape, long[] stride)
    {
        long expected = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] != 1 && stride[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }

    private static byte[] ReadEntry(ZipArchiveEntry entry, string path)
    {
        using var stream = entry.Open();
        var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        if (buffer.Length != entry.Length)
            throw new InvalidInputException($"{path}: archive entry {PrintableText.Of(entry.FullName)} holds {buffer.Length} bytes, expected {entry.Length}");
        return buffer.ToArray();
    }
}
