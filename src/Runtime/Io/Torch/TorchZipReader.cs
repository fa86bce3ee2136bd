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
    public static IReadOnlyList<StateEntry> Read(string path, ResourceLimits? limits = null)
    {
        limits ??= ResourceLimits.Default;
        try
        {
            using var file = InputFile.Open(path, limits, path, out _);
            using var zip = new ZipArchive(file, ZipArchiveMode.Read);
            return Read(zip, path, limits);
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

    private static IReadOnlyList<StateEntry> Read(ZipArchive zip, string path, ResourceLimits limits)
    {
        var pickle = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl").ToList();
        if (pickle.Count != 1)
            throw new InvalidInputException($"{path}: expected one data.pkl in the archive, found {pickle.Count}");
        string prefix = pickle[0].FullName[..^"data.pkl".Length];
        var byteOrder = zip.GetEntry(prefix + "byteorder");
        if (byteOrder is not null)
        {
            string order = System.Text.Encoding.ASCII.GetString(ReadEntry(byteOrder, path, limits)).Trim();
            if (order != "little") throw new InvalidInputException($"{path}: storages are {PrintableText.Of(order)}-endian; only little-endian is supported");
        }

        object? root = new RestrictedUnpickler(ReadEntry(pickle[0], path, limits), path, limits).Load();
        var dict = StateDictOf(root, path);
        var storages = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var entries = new List<StateEntry>();
        foreach (var (key, value) in dict.Items)
        {
            if (key is not string name) throw new InvalidInputException($"{path}: state dict key {PickleNames.Describe(key)} is not a string");
            if (value is not TensorRef tensor) throw new InvalidInputException($"{path}: entry '{name}' is {PickleNames.Describe(value)}, not a tensor");
            if (!storages.TryGetValue(tensor.Storage.Key, out var bytes))
            {
                var entry = zip.GetEntry($"{prefix}data/{tensor.Storage.Key}")
                    ?? throw new InvalidInputException($"{path}: tensor '{name}': storage data/{tensor.Storage.Key} is missing from the archive");
                storages[tensor.Storage.Key] = bytes = ReadEntry(entry, path, limits);
            }
            entries.Add(Materialize(name, tensor, bytes, path, limits));
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
        throw new InvalidInputException($"{path}: entry {(bad.Key is string key ? $"'{key}'" : PickleNames.Describe(bad.Key))} is {PickleNames.Describe(bad.Value)}, not a tensor, and there is no 'state_dict' dict to unwrap");
    }

    internal static StateEntry Materialize(string name, TensorRef t, byte[] storage, string path, ResourceLimits? limits = null)
    {
        limits ??= ResourceLimits.Default;
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
        // Sizes, strides and offset as the file declares them (int64), checked before any is used as an int or an index.
        string declared = $"size ({string.Join(", ", t.Size)}), stride ({string.Join(", ", t.Stride)}), offset {t.Offset}";
        if (t.Size.Length != t.Stride.Length)
            throw new InvalidInputException($"{path}: tensor '{name}': {declared}: size and stride have different ranks");
        if (t.Size.Any(d => d < 0) || t.Offset < 0)
            throw new InvalidInputException($"{path}: tensor '{name}': {declared}: expected non-negative sizes and offset");
        long count = limits.CheckProduct(ResourceLimits.TensorElements, t.Size, $"{path}: tensor '{name}' element count");
        if (t.Size.Any(d => d > int.MaxValue))
            throw new InvalidInputException($"{path}: tensor '{name}': {declared}: expected sizes in 0..{int.MaxValue}");
        var shape = t.Size.Select(d => (int)d).ToArray();
        // The first and last elements the view reaches, in 128-bit: a stride of 2^62 times a size overflows 64 bits.
        Int128 first = t.Offset, last = t.Offset;
        for (int i = 0; i < shape.Length; i++)
        {
            Int128 span = shape[i] > 0 ? (Int128)(shape[i] - 1) * t.Stride[i] : 0;
            if (span >= 0) last += span;
            else first += span;
        }
        if (count > 0 && (first < 0 || last >= storageElements))
            throw new InvalidInputException($"{path}: tensor '{name}' {declared} reaches element {(first < 0 ? first : last)} of a storage of {storageElements}");
        long maxIndex = (long)last;

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

    /// <summary>An entry's bytes: never more than its declared size, and that size within the input-bytes limit (zip bombs).</summary>
    private static byte[] ReadEntry(ZipArchiveEntry entry, string path, ResourceLimits limits)
    {
        using var stream = entry.Open();
        return InputFile.ReadDeclared(stream, entry.Length, limits, $"{path}: archive entry {PrintableText.Of(entry.FullName)}");
    }
}
