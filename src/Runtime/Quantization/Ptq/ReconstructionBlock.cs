using Ompq.Runtime.Nn.Graph;

namespace Ompq.Runtime.Quantization.Ptq;

/// <summary>
/// A contiguous run of graph nodes that reads one value and produces one value, nothing crossing its borders:
/// a residual block (its convs, shortcut and add), or a stem or classifier with the weightless nodes before it.
/// Block-wise reconstruction (BRECQ) learns the rounding of all its weight layers together against its output.
/// </summary>
/// <param name="Name">The block's output value (e.g. "layer1.0", "conv1", "fc").</param>
/// <param name="FirstNode">Index of its first node in the graph.</param>
/// <param name="LastNode">Index of its last node (its output is value <c>LastNode + 1</c>).</param>
/// <param name="Layers">Its conv and linear layers in execution order.</param>
public sealed record ReconstructionBlock(string Name, int FirstNode, int LastNode, IReadOnlyList<string> Layers)
{
    /// <summary>The value the block reads (value ids: 0 = graph input, i + 1 = output of node i).</summary>
    public int InputValue => FirstNode;

    public int OutputValue => LastNode + 1;

    public IEnumerable<GraphNode> Nodes(ModelGraph graph)
    {
        for (int i = FirstNode; i <= LastNode; i++) yield return graph.Nodes[i];
    }
}

/// <summary>
/// Splits a graph into <see cref="ReconstructionBlock"/>s at its cut values: value v is a cut when no node after it
/// reads anything older than v, so everything downstream depends on the network input only through v. For a ResNet
/// the cuts are the stem's output and every residual add's output; each weightless stretch (pooling, flatten) joins
/// the next block with weights (the last stretch joins the block before it).
/// </summary>
public static class ReconstructionBlocks
{
    public static IReadOnlyList<ReconstructionBlock> Find(ModelGraph graph)
    {
        int count = graph.Nodes.Count;
        if (count == 0 || graph.OutputId != count)
            throw new InvalidInputException($"post-training quantization needs a graph whose output is its last node's ('{graph.OutputName}' is not)");
        // oldestReadFrom[i] = the oldest value any node i..count−1 reads.
        var oldestReadFrom = new int[count + 1];
        oldestReadFrom[count] = int.MaxValue;
        for (int i = count - 1; i >= 0; i--)
            oldestReadFrom[i] = Math.Min(oldestReadFrom[i + 1], graph.InputIds[i].DefaultIfEmpty(int.MaxValue).Min());

        var segments = new List<(int First, int Last)>();
        int start = 0;
        for (int v = 1; v <= count; v++)
        {
            bool cut = v == count || oldestReadFrom[v] >= v;
            if (!cut) continue;
            segments.Add((start, v - 1));
            start = v;
        }

        var blocks = new List<ReconstructionBlock>();
        int? pending = null; // first node of weightless segments waiting for a block with weights
        foreach (var (first, last) in segments)
        {
            var layers = LayersIn(graph, first, last);
            if (layers.Count == 0)
            {
                pending ??= first;
                continue;
            }
            int from = pending ?? first;
            pending = null;
            blocks.Add(new ReconstructionBlock(graph.ValueName(last + 1), from, last, LayersIn(graph, from, last)));
        }
        if (blocks.Count == 0) throw new InvalidInputException("the model has no conv or linear layer to quantize");
        if (pending is not null)
        {
            var tail = blocks[^1];
            blocks[^1] = tail with { Name = graph.ValueName(count), LastNode = count - 1 };
        }
        return blocks;
    }

    private static List<string> LayersIn(ModelGraph graph, int first, int last)
    {
        var layers = new List<string>();
        for (int i = first; i <= last; i++)
            if (graph.Nodes[i] is WeightLayerNode layer) layers.Add(layer.Name);
        return layers;
    }
}
