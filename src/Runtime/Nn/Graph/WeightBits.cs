namespace Ompq.Runtime.Nn.Graph;

/// <summary>An immutable layer → weight bit-width assignment; a new instance means the device weights must be rebuilt.</summary>
internal sealed class WeightBits
{
    public static readonly WeightBits None = new(new Dictionary<string, int>());

    public WeightBits(IReadOnlyDictionary<string, int> bits) => Bits = bits;

    public IReadOnlyDictionary<string, int> Bits { get; }

    /// <summary>A checked copy of <paramref name="bits"/> (null = none): every key a conv or linear layer of the graph, every width in 2..8.</summary>
    public static WeightBits For(ModelGraph graph, string modelName, IReadOnlyDictionary<string, int>? bits)
    {
        var copy = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (layer, b) in bits ?? new Dictionary<string, int>())
        {
            if (!graph.TryGetNode(layer, out var node) || node is not WeightLayerNode)
                throw new ArgumentException($"'{layer}' is not a conv or linear layer of model '{modelName}'");
            if (b < 2 || b > 8) throw new ArgumentException($"layer '{layer}': bit width must be in 2..8, got {b}");
            copy[layer] = b;
        }
        return new WeightBits(copy);
    }
}
