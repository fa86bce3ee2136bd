namespace Ompq.Runtime.Nn.Graph;

/// <summary>
/// A node with a weight tensor (output channel first) and an optional bias: what a bit-width is chosen for, what the
/// size budget counts and what fake quantization applies to.
/// </summary>
public abstract class WeightLayerNode : GraphNode
{
    protected WeightLayerNode(string name, string input, string output, string weight, string? bias)
        : base(name, new[] { input }, output)
    {
        WeightName = weight;
        BiasName = bias;
    }

    public string WeightName { get; }
    public string? BiasName { get; }

    /// <summary>Output channels (weight dimension 0): the channels of per-channel weight quantization.</summary>
    public int OutChannels(ParameterStore parameters) => parameters[WeightName].Shape[0];

    /// <summary>Parameter count for the size budget (spec §5).</summary>
    public abstract long ParamCount(ParameterStore parameters);
}
