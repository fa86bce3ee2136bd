using Ompq.Runtime.Nn.Graph;

namespace Ompq.Runtime.Quantization;

/// <summary>
/// An immutable layer → <see cref="LayerQuantization"/> map: which conv/linear layers run quantized and how. Layers
/// absent from it run in fp32. A new instance is a new configuration (device weights are rebuilt for it).
/// </summary>
public sealed class QuantizationConfig
{
    public static readonly QuantizationConfig None = new(new Dictionary<string, LayerQuantization>());

    public QuantizationConfig(IReadOnlyDictionary<string, LayerQuantization> layers)
        => Layers = new Dictionary<string, LayerQuantization>(layers, StringComparer.Ordinal);

    public IReadOnlyDictionary<string, LayerQuantization> Layers { get; }

    public bool IsEmpty => Layers.Count == 0;

    /// <summary>Weights at the given widths with scales from the weights, activations in fp32.</summary>
    public static QuantizationConfig WeightsOnly(IReadOnlyDictionary<string, int>? bits)
        => bits is null ? None : new(bits.ToDictionary(p => p.Key, p => new LayerQuantization(p.Value), StringComparer.Ordinal));

    /// <summary>Every layer's weight width.</summary>
    public IReadOnlyDictionary<string, int> WeightBits => Layers.ToDictionary(p => p.Key, p => p.Value.WeightBits, StringComparer.Ordinal);

    public LayerQuantization? For(string layer) => Layers.TryGetValue(layer, out var q) ? q : null;

    /// <summary>True when some layer quantizes its input activation.</summary>
    public bool QuantizesActivations => Layers.Values.Any(q => q.Input is not null);

    /// <summary>The same configuration with every layer's input activation quantized as <paramref name="input"/> says (null: fp32).</summary>
    public QuantizationConfig WithInputs(Func<string, ActivationQuant?> input)
        => new(Layers.ToDictionary(p => p.Key, p => p.Value with { Input = input(p.Key) }, StringComparer.Ordinal));

    /// <summary>
    /// Checks the configuration against a graph: every key a conv or linear layer, widths 2..8, scales one positive
    /// finite value per output channel, activation grids valid. Throws <see cref="InvalidInputException"/> naming the layer.
    /// </summary>
    public void Validate(ModelGraph graph, ParameterStore parameters, string modelName)
    {
        foreach (var (layer, q) in Layers)
        {
            if (!graph.TryGetNode(layer, out var node) || node is not WeightLayerNode weightLayer)
                throw new InvalidInputException($"'{layer}' is not a conv or linear layer of model '{modelName}'");
            ActivationQuant.CheckBits(q.WeightBits, $"layer '{layer}': weight");
            if (q.WeightScales is { } scales)
            {
                int channels = weightLayer.OutChannels(parameters);
                if (scales.Length != channels)
                    throw new InvalidInputException($"layer '{layer}': {scales.Length} weight scales for {channels} output channels");
                for (int c = 0; c < scales.Length; c++)
                    if (!(scales[c] > 0f) || !float.IsFinite(scales[c]))
                        throw new InvalidInputException($"layer '{layer}': weight scale of channel {c} must be a positive finite number, got {scales[c]}");
            }
            q.Input?.Validate(layer);
        }
    }
}
