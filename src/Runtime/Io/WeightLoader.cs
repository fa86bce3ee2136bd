using Ompq.Runtime.Io.Safetensors;
using Ompq.Runtime.Io.Torch;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Io;

/// <summary>
/// Loads state dicts (torchvision names) into a <see cref="GraphModel"/> from safetensors or PyTorch zip files, and
/// writes a model's parameters as safetensors. Loading is all-or-nothing: every tensor is checked before any is set.
/// </summary>
public static class WeightLoader
{
    /// <summary>Reads a state dict; the format is recognised from the file's first bytes (zip = PyTorch, else safetensors).</summary>
    public static IReadOnlyList<StateEntry> ReadStateDict(string path, ResourceLimits? limits = null)
    {
        limits ??= ResourceLimits.Default;
        if (!File.Exists(path)) throw new InvalidInputException($"{path}: weights file not found");
        Span<byte> magic = stackalloc byte[4];
        int read;
        using (var stream = InputFile.Open(path, limits, path, out _)) read = stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        bool isZip = read == 4 && magic[0] == (byte)'P' && magic[1] == (byte)'K' && magic[2] == 3 && magic[3] == 4;
        if (isZip) return TorchZipReader.Read(path, limits);
        var (entries, metadata) = SafetensorsReader.ReadWithMetadata(path, limits);
        return metadata.TryGetValue("format", out var format) && format == Training.TrainingCheckpoint.FormatName
            ? Training.TrainingCheckpoint.ModelStateOf(path, entries, metadata)
            : entries;
    }

    public static void Load(GraphModel model, string path, ResourceLimits? limits = null) => Apply(model, ReadStateDict(path, limits), path);

    /// <summary>
    /// Sets the model's parameters from <paramref name="entries"/>. num_batches_tracked entries are ignored; a missing,
    /// unexpected or mis-shaped tensor throws <see cref="InvalidInputException"/> naming <paramref name="source"/> and it.
    /// </summary>
    public static void Apply(GraphModel model, IReadOnlyList<StateEntry> entries, string source)
    {
        var parameters = model.Parameters;
        var problems = new List<string>();
        var given = new Dictionary<string, StateEntry>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (entry.Name.EndsWith(".num_batches_tracked", StringComparison.Ordinal) || entry.Name == "num_batches_tracked") continue;
            if (!given.TryAdd(entry.Name, entry)) { problems.Add($"tensor '{entry.Name}' appears twice"); continue; }
            if (!parameters.TryGet(entry.Name, out var target))
                problems.Add($"unexpected tensor '{entry.Name}' {entry.Tensor.ShapeText} (model '{model.Name}' has no parameter of that name)");
            else if (!entry.Tensor.HasShape(target.Shape))
                problems.Add($"tensor '{entry.Name}' has shape {entry.Tensor.ShapeText}, expected {target.ShapeText}");
        }
        foreach (var name in parameters.Names)
            if (!given.ContainsKey(name))
                problems.Add($"missing tensor '{name}' (expected shape {parameters[name].ShapeText})");
        if (problems.Count > 0)
        {
            string more = problems.Count > 1 ? $" (and {problems.Count - 1} more problem{(problems.Count > 2 ? "s" : "")})" : "";
            throw new InvalidInputException($"{source}: {problems[0]}{more}");
        }
        foreach (var (name, entry) in given) parameters.SetValues(name, entry.Tensor.Data);
    }

    /// <summary>
    /// Writes every parameter of the model (original, unfolded values) as an F32 safetensors file. For each
    /// PyTorch-named batch-norm (a "&lt;m&gt;.running_var" entry) a zero I64 "&lt;m&gt;.num_batches_tracked" is added so
    /// that PyTorch loads the file with strict=True.
    /// </summary>
    public static void SaveSafetensors(GraphModel model, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entries = new List<KeyValuePair<string, HostTensor>>();
        var counters = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in model.Parameters.Names)
        {
            entries.Add(new(name, model.Parameters[name]));
            if (name.EndsWith(".running_var", StringComparison.Ordinal))
            {
                string counter = name[..^".running_var".Length] + ".num_batches_tracked";
                if (!model.Parameters.Contains(counter) && counters.Add(counter)) entries.Add(new(counter, HostTensor.Zeros()));
            }
        }
        SafetensorsWriter.Write(path, entries, metadata, counters);
    }
}
