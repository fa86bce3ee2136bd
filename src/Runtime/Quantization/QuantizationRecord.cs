using System.Text.Json;
using System.Text.Json.Serialization;
using Ompq.Runtime.Io;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Quantization;

/// <summary>
/// A <see cref="QuantizationConfig"/> inside a safetensors file: metadata "quantization" holds, per layer, the weight
/// width, whether its scales are fixed and its input grid; fixed per-channel weight scales are tensors named
/// "quant.&lt;layer&gt;.weight_scale" (so any safetensors reader sees them as data, not text).
/// </summary>
public static class QuantizationRecord
{
    public const string MetadataKey = "quantization";
    private const string TensorPrefix = "quant.";
    private const string ScaleSuffix = ".weight_scale";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private sealed record Entry(int WeightBits, bool FixedScales, InputEntry? Input);

    private sealed record InputEntry(int Bits, float Scale, bool Unsigned);

    /// <summary>True for tensors this record owns (they are not model parameters).</summary>
    public static bool Owns(string tensorName) => tensorName.StartsWith(TensorPrefix, StringComparison.Ordinal);

    /// <summary>Adds the configuration to a file's metadata and tensors (nothing for an empty one).</summary>
    public static void Write(QuantizationConfig config, IDictionary<string, string> metadata, List<KeyValuePair<string, HostTensor>> tensors)
    {
        if (config.IsEmpty) return;
        var entries = new SortedDictionary<string, Entry>(StringComparer.Ordinal);
        foreach (var (layer, q) in config.Layers)
        {
            entries[layer] = new Entry(q.WeightBits, q.WeightScales is not null,
                q.Input is { } i ? new InputEntry(i.Bits, i.Scale, i.Unsigned) : null);
            if (q.WeightScales is { } scales)
                tensors.Add(new(TensorPrefix + layer + ScaleSuffix, new HostTensor(new[] { scales.Length }, (float[])scales.Clone())));
        }
        metadata[MetadataKey] = JsonSerializer.Serialize(entries, Json);
    }

    /// <summary>The configuration a file holds (<see cref="QuantizationConfig.None"/> without the metadata key).</summary>
    public static QuantizationConfig Read(string path, IReadOnlyDictionary<string, string> metadata, IReadOnlyDictionary<string, HostTensor> tensors)
    {
        if (!metadata.TryGetValue(MetadataKey, out var text)) return QuantizationConfig.None;
        Dictionary<string, Entry>? entries;
        try
        {
            entries = JsonSerializer.Deserialize<Dictionary<string, Entry>>(text, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{path}: metadata '{MetadataKey}' is not valid ({PrintableText.Of(e.Message)})", e);
        }
        if (entries is null) throw new InvalidInputException($"{path}: metadata '{MetadataKey}' is null; expected a layer → quantization map");
        var layers = new Dictionary<string, LayerQuantization>(StringComparer.Ordinal);
        foreach (var (layer, entry) in entries)
        {
            if (entry is null) throw new InvalidInputException($"{path}: layer '{PrintableText.Of(layer)}' has a null quantization entry");
            float[]? scales = null;
            if (entry.FixedScales)
            {
                string name = TensorPrefix + layer + ScaleSuffix;
                if (!tensors.TryGetValue(name, out var t) || t.Shape.Length != 1)
                    throw new InvalidInputException($"{path}: layer '{PrintableText.Of(layer)}' has fixed weight scales but no 1-D tensor '{PrintableText.Of(name)}'");
                scales = t.Data;
            }
            var input = entry.Input is { } i ? new ActivationQuant(i.Bits, i.Scale, i.Unsigned) : null;
            layers[layer] = new LayerQuantization(entry.WeightBits, scales, input);
        }
        return new QuantizationConfig(layers);
    }
}
