using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ompq.Runtime.Io;
using Ompq.Runtime.Io.Safetensors;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Quantization;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Training;

/// <summary>Which zoo network a checkpoint holds, enough to rebuild it before loading the weights.</summary>
public sealed record ModelIdentity(string Name, int InputSize, int Channels, int Classes)
{
    public static ModelIdentity Of(GraphModel model)
    {
        var (c, h, w) = model.InputShape;
        if (h != w) throw new InvalidInputException($"model '{model.Name}' has a non-square input {h}×{w}; checkpoints hold square zoo models");
        return new ModelIdentity(model.Name, h, c, (int)HostTensor.ElementCount(model.OutputShape));
    }

    public GraphModel Create() => ModelZoo.Create(Name, InputSize, seed: 0, classes: Classes, channels: Channels);
}

/// <summary>
/// A training checkpoint in one safetensors file: the model's state dict under its own (torchvision) names — so any
/// safetensors reader, PyTorch included, can load the weights — the optimizer's slots as "optimizer.&lt;slot&gt;.&lt;param&gt;",
/// and the run (format version, model identity, dataset, options, state, optimizer step count) in the metadata.
/// Written atomically; a file that is not such a checkpoint is refused with one line saying why.
/// </summary>
public sealed class TrainingCheckpoint
{
    public const string FormatName = "ompq-checkpoint";
    /// <summary>2 added the folded batch-norm flag and the quantization (version 1 files hold float or weight-bits runs).</summary>
    public const int FormatVersion = 2;
    private const string OptimizerPrefix = "optimizer.";
    private const string WeightBitsKey = "weight_bits";
    private const string FoldedKey = "batchnorm_folded";
    private const string RangesKey = "activation_ranges";

    private static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public TrainingCheckpoint(ModelIdentity model, string dataset, TrainingOptions options, TrainingState state,
        IReadOnlyList<KeyValuePair<string, HostTensor>> parameters, IReadOnlyDictionary<string, HostTensor> optimizerSlots, long optimizerSteps,
        QuantizationConfig? quantization = null, bool batchNormFolded = false, IReadOnlyDictionary<string, float[]>? activationRanges = null)
    {
        ActivationRanges = activationRanges ?? new Dictionary<string, float[]>();
        Quantization = quantization ?? QuantizationConfig.None;
        BatchNormFolded = batchNormFolded;
        Model = model;
        Dataset = dataset;
        Options = options;
        State = state;
        Parameters = parameters;
        OptimizerSlots = optimizerSlots;
        OptimizerSteps = optimizerSteps;
    }

    public ModelIdentity Model { get; }
    public string Dataset { get; }
    public TrainingOptions Options { get; }
    public TrainingState State { get; }
    public IReadOnlyList<KeyValuePair<string, HostTensor>> Parameters { get; }

    /// <summary>Optimizer slots by "&lt;slot&gt;.&lt;parameter&gt;".</summary>
    public IReadOnlyDictionary<string, HostTensor> OptimizerSlots { get; }
    public long OptimizerSteps { get; }

    /// <summary>
    /// How the model computes (quantization-aware training, post-training quantization; none for a float run): the
    /// model <see cref="CreateModel"/> builds runs with it. Stored by <see cref="QuantizationRecord"/>.
    /// </summary>
    public QuantizationConfig Quantization { get; }

    /// <summary>Per-layer weight bit-widths (empty for a float run).</summary>
    public IReadOnlyDictionary<string, int> WeightBits => Quantization.WeightBits;

    /// <summary>Observed input ranges [min, max] of a quantization-aware run (its moving averages continue from them on resume).</summary>
    public IReadOnlyDictionary<string, float[]> ActivationRanges { get; }

    /// <summary>True when the parameters are those of the batch-norm-folded graph (<see cref="GraphModel.FoldBatchNorm"/>).</summary>
    public bool BatchNormFolded { get; }

    /// <summary>Takes the device state of a run (weights into the model's store, optimizer slots to the host).</summary>
    public static TrainingCheckpoint Capture(Trainer trainer, string dataset, TrainingState state)
    {
        var model = trainer.Executor.Model;
        trainer.Executor.CopyParametersToModel();
        var k = trainer.Kernels;
        var slots = new Dictionary<string, HostTensor>(StringComparer.Ordinal);
        var names = trainer.Optimizer.SlotNames;
        foreach (var p in trainer.Executor.Parameters.Trainable)
            for (int s = 0; s < p.Slots.Length; s++)
            {
                var host = new HostTensor((int[])p.Shape.Clone(), new float[p.Length]);
                k.Download(p.Slots[s], host.Data);
                slots[$"{names[s]}.{p.Name}"] = host;
            }
        var parameters = model.Parameters.Names.Select(n => new KeyValuePair<string, HostTensor>(n, model.Parameters[n])).ToArray();
        return new TrainingCheckpoint(ModelIdentity.Of(model), dataset, trainer.Options, state, parameters, slots, trainer.Optimizer.Steps,
            trainer.Executor.Quantization, model.IsBatchNormFolded && model.Graph.Nodes.OfType<ConvNode>().Any(),
            trainer.Executor.ActivationRanges.Snapshot());
    }

    public void Save(string path)
    {
        var tensors = new List<KeyValuePair<string, HostTensor>>(Parameters);
        tensors.AddRange(OptimizerSlots.Select(s => new KeyValuePair<string, HostTensor>(OptimizerPrefix + s.Key, s.Value)));
        var metadata = new Dictionary<string, string>
        {
            ["format"] = FormatName,
            ["format_version"] = FormatVersion.ToString(CultureInfo.InvariantCulture),
            ["model"] = JsonSerializer.Serialize(Model, Json),
            ["dataset"] = Dataset,
            ["options"] = JsonSerializer.Serialize(Options, Json),
            ["state"] = JsonSerializer.Serialize(State, Json),
            ["optimizer_steps"] = OptimizerSteps.ToString(CultureInfo.InvariantCulture),
        };
        if (BatchNormFolded) metadata[FoldedKey] = "true";
        if (ActivationRanges.Count > 0) metadata[RangesKey] = JsonSerializer.Serialize(ActivationRanges, Json);
        QuantizationRecord.Write(Quantization, metadata, tensors);
        SafetensorsWriter.Write(path, tensors, metadata);
    }

    /// <summary>
    /// The float state dict inside a checkpoint file's entries (optimizer slots dropped), for readers that take plain
    /// state dicts (`ompq search --weights`). A quantized checkpoint's folded weights are not such a state dict.
    /// </summary>
    internal static IReadOnlyList<StateEntry> ModelStateOf(string path, IReadOnlyList<StateEntry> entries, IReadOnlyDictionary<string, string> metadata)
    {
        if (metadata.ContainsKey(FoldedKey) || metadata.ContainsKey(QuantizationRecord.MetadataKey) || metadata.ContainsKey(WeightBitsKey))
            throw new InvalidInputException($"{path}: holds a quantized model (from `ompq qat` or `ompq ptq`); expected float weights, e.g. the checkpoint `ompq train` wrote");
        return entries.Where(e => !e.Name.StartsWith(OptimizerPrefix, StringComparison.Ordinal)).ToArray();
    }

    public static TrainingCheckpoint Load(string path)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"{path}: no such checkpoint file; expected a checkpoint written by `ompq train`");
        var (entries, metadata) = SafetensorsReader.ReadWithMetadata(path);
        string Field(string key) => metadata.TryGetValue(key, out var v)
            ? v
            : throw new InvalidInputException($"{path}: not an {FormatName} file (its metadata has no '{key}'); expected a checkpoint written by `ompq train`");
        if (Field("format") != FormatName) throw new InvalidInputException($"{path}: metadata format is '{PrintableText.Of(metadata["format"])}', expected '{FormatName}'");
        if (!int.TryParse(Field("format_version"), NumberStyles.None, CultureInfo.InvariantCulture, out int version) || version > FormatVersion || version < 1)
            throw new InvalidInputException($"{path}: checkpoint format version '{PrintableText.Of(metadata["format_version"])}' is not supported (this build reads 1..{FormatVersion})");
        T Parse<T>(string key)
        {
            try
            {
                return JsonSerializer.Deserialize<T>(Field(key), Json) ?? throw new JsonException("null");
            }
            catch (JsonException e)
            {
                throw new InvalidInputException($"{path}: checkpoint metadata '{key}' is not valid ({PrintableText.Of(e.Message)})", e);
            }
        }
        var model = Parse<ModelIdentity>("model");
        var options = Parse<TrainingOptions>("options");
        var state = Parse<TrainingState>("state");
        if (!long.TryParse(Field("optimizer_steps"), NumberStyles.None, CultureInfo.InvariantCulture, out long steps))
            throw new InvalidInputException($"{path}: checkpoint metadata 'optimizer_steps' is not a count");
        var parameters = new List<KeyValuePair<string, HostTensor>>();
        var slots = new Dictionary<string, HostTensor>(StringComparer.Ordinal);
        var quantizationTensors = new Dictionary<string, HostTensor>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            if (e.Name.StartsWith(OptimizerPrefix, StringComparison.Ordinal)) slots[e.Name[OptimizerPrefix.Length..]] = e.Tensor;
            else if (QuantizationRecord.Owns(e.Name)) quantizationTensors[e.Name] = e.Tensor;
            else parameters.Add(new(e.Name, e.Tensor));
        }
        var quantization = metadata.ContainsKey(WeightBitsKey)
            ? QuantizationConfig.WeightsOnly(Parse<Dictionary<string, int>>(WeightBitsKey))
            : QuantizationRecord.Read(path, metadata, quantizationTensors);
        bool folded = metadata.TryGetValue(FoldedKey, out var f) && f == "true";
        var ranges = metadata.ContainsKey(RangesKey) ? Parse<Dictionary<string, float[]>>(RangesKey) : null;
        return new TrainingCheckpoint(model, Field("dataset"), options, state, parameters, slots, steps, quantization, folded, ranges);
    }

    /// <summary>Builds the zoo model the checkpoint names (batch-norm folded when it was), loads its weights (missing or mis-shaped tensors are named) and sets its quantization.</summary>
    public GraphModel CreateModel(string source)
    {
        GraphModel model;
        try
        {
            model = Model.Create();
            if (BatchNormFolded)
            {
                using var unfolded = model;
                model = unfolded.FoldBatchNorm();
            }
        }
        catch (InvalidInputException e)
        {
            throw new InvalidInputException($"{source}: {e.Message}", e);
        }
        try
        {
            WeightLoader.Apply(model, Parameters.Select(p => new StateEntry(p.Key, p.Value, "F32")).ToArray(), source);
            model.SetQuantization(Quantization);
        }
        catch (InvalidInputException e) when (!e.Message.StartsWith(source, StringComparison.Ordinal))
        {
            model.Dispose();
            throw new InvalidInputException($"{source}: {e.Message}", e);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }

    /// <summary>Loads the optimizer slots and step count onto the device (slots must exist: <see cref="Optimizer.EnsureSlots"/>).</summary>
    internal void RestoreOptimizer(Optimizer optimizer, DeviceParameters parameters)
    {
        var names = optimizer.SlotNames;
        foreach (var p in parameters.Trainable)
            for (int s = 0; s < names.Count; s++)
            {
                string key = $"{names[s]}.{p.Name}";
                if (!OptimizerSlots.TryGetValue(key, out var host) || host.Size != p.Length)
                    throw new InvalidInputException($"checkpoint has no optimizer slot '{OptimizerPrefix}{key}' of {p.Length} values; it was written with other optimizer settings");
                parameters.Kernels.Upload(host.Data, p.Slots[s]);
            }
        optimizer.Steps = OptimizerSteps;
    }
}
