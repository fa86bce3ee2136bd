using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Nn.Graph;

/// <summary>
/// Folds inference batch-norm into the preceding conv/linear: W' = W·γ/√(σ²+ε) per output channel and
/// b' = (b − μ)·γ/√(σ²+ε) + β, so the layer runs as one kernel with a bias epilogue (spec §8).
/// </summary>
public static class BatchNormFolding
{
    /// <summary>Returns the folded weight (same layout as <paramref name="weight"/>, output channel first) and bias.</summary>
    public static (float[] Weight, float[] Bias) Fold(HostTensor weight, HostTensor? bias, ParameterStore parameters, BatchNormParams? bn)
    {
        int outChannels = weight.Shape[0];
        long perChannel = weight.Size / outChannels;
        var w = (float[])weight.Data.Clone();
        var b = bias is null ? new float[outChannels] : (float[])bias.Data.Clone();
        if (bn is null) return (w, b);

        var gamma = parameters[bn.Gamma].Data;
        var beta = parameters[bn.Beta].Data;
        var mean = parameters[bn.RunningMean].Data;
        var variance = parameters[bn.RunningVar].Data;
        for (int k = 0; k < outChannels; k++)
        {
            double scale = gamma[k] / Math.Sqrt((double)variance[k] + bn.Eps);
            var row = w.AsSpan((int)(k * perChannel), (int)perChannel);
            for (int i = 0; i < row.Length; i++) row[i] = (float)(row[i] * scale);
            b[k] = (float)((b[k] - mean[k]) * scale + beta[k]);
        }
        return (w, b);
    }
}

/// <summary>
/// The graph rewrite that removes batch-norm for quantization: every conv with a fused batch-norm becomes a conv with
/// a bias holding the folded values, and its weight the folded weight. Quantizing that weight is quantizing what
/// inference computes with, and training it afterwards is training with the statistics frozen (γ is absorbed into
/// the weight, β and the mean into the bias), the recipe spec §8 asks of quantization-aware training.
/// </summary>
public static class BatchNormGraphFolding
{
    /// <summary>The folded graph and a new parameter store (the originals are not changed).</summary>
    public static (ModelGraph Graph, ParameterStore Parameters) Fold(ModelGraph graph, ParameterStore parameters)
    {
        var folded = new ParameterStore();
        var dropped = new HashSet<string>(StringComparer.Ordinal);
        var replaced = new Dictionary<string, HostTensor>(StringComparer.Ordinal);
        var nodes = new List<GraphNode>(graph.Nodes.Count);
        foreach (var node in graph.Nodes)
        {
            if (node is not ConvNode { BatchNorm: { } bn } conv)
            {
                nodes.Add(node);
                continue;
            }
            var weight = parameters[conv.WeightName];
            var bias = conv.BiasName is null ? null : parameters[conv.BiasName];
            var (w, b) = BatchNormFolding.Fold(weight, bias, parameters, bn);
            string biasName = conv.BiasName ?? FreshBiasName(conv, parameters);
            replaced[conv.WeightName] = new HostTensor((int[])weight.Shape.Clone(), w);
            replaced[biasName] = new HostTensor(new[] { weight.Shape[0] }, b);
            foreach (var n in bn.Names) dropped.Add(n);
            nodes.Add(new ConvNode(conv.Name, conv.Inputs[0], conv.Output, conv.WeightName, biasName, null, conv.Geometry, conv.Activation));
        }
        foreach (var name in parameters.Names)
        {
            if (dropped.Contains(name)) continue;
            folded.Add(name, replaced.Remove(name, out var t) ? t : Copy(parameters[name]));
        }
        foreach (var (name, tensor) in replaced) folded.Add(name, tensor); // biases the graph did not have
        return (new ModelGraph(graph.InputName, nodes, graph.OutputName), folded);
    }

    private static string FreshBiasName(ConvNode conv, ParameterStore parameters)
    {
        const string suffix = ".weight";
        string name = conv.WeightName.EndsWith(suffix, StringComparison.Ordinal)
            ? conv.WeightName[..^suffix.Length] + ".bias"
            : conv.Name + ".folded_bias";
        if (parameters.Contains(name)) throw new InvalidInputException($"conv '{conv.Name}': cannot fold its batch-norm, parameter '{name}' already exists");
        return name;
    }

    private static HostTensor Copy(HostTensor t) => new((int[])t.Shape.Clone(), (float[])t.Data.Clone());
}
