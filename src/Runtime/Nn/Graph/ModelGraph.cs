namespace Ompq.Runtime.Nn.Graph;

/// <summary>
/// A feed-forward network as a list of nodes in execution order over named values. Value 0 is the input;
/// value i + 1 is the output of node i. Every node reads only values produced before it.
/// </summary>
public sealed class ModelGraph
{
    private readonly Dictionary<string, int> _valueIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _nodeIds = new(StringComparer.Ordinal);

    public ModelGraph(string inputName, IReadOnlyList<GraphNode> nodes, string outputName)
    {
        InputName = inputName;
        Nodes = nodes;
        OutputName = outputName;
        _valueIds[inputName] = 0;
        var inputIds = new int[nodes.Count][];
        for (int i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            inputIds[i] = new int[node.Inputs.Count];
            for (int j = 0; j < node.Inputs.Count; j++)
            {
                if (!_valueIds.TryGetValue(node.Inputs[j], out int id))
                    throw new InvalidInputException($"{node.Kind} node '{node.Name}' reads '{node.Inputs[j]}', which no earlier node produces");
                inputIds[i][j] = id;
            }
            if (!_valueIds.TryAdd(node.Output, i + 1))
                throw new InvalidInputException($"{node.Kind} node '{node.Name}' writes '{node.Output}', which is already defined");
            if (!_nodeIds.TryAdd(node.Name, i))
                throw new InvalidInputException($"two nodes are named '{node.Name}'");
        }
        if (!_valueIds.TryGetValue(outputName, out int outputId))
            throw new InvalidInputException($"graph output '{outputName}' is not produced by any node");
        InputIds = inputIds;
        OutputId = outputId;
    }

    public string InputName { get; }
    public string OutputName { get; }
    public IReadOnlyList<GraphNode> Nodes { get; }
    public int ValueCount => Nodes.Count + 1;
    internal int[][] InputIds { get; }
    internal int OutputId { get; }

    public int ValueId(string name) => _valueIds.TryGetValue(name, out int id)
        ? id
        : throw new KeyNotFoundException($"no value named '{name}' in the graph");

    public string ValueName(int id) => id == 0 ? InputName : Nodes[id - 1].Output;

    public GraphNode Node(string name) => _nodeIds.TryGetValue(name, out int i)
        ? Nodes[i]
        : throw new KeyNotFoundException($"no layer named '{name}' in the graph");

    public bool TryGetNode(string name, out GraphNode node)
    {
        bool found = _nodeIds.TryGetValue(name, out int i);
        node = found ? Nodes[i] : null!;
        return found;
    }

    /// <summary>The node that produces value <paramref name="valueId"/> (null for the input).</summary>
    public GraphNode? Producer(int valueId) => valueId == 0 ? null : Nodes[valueId - 1];

    /// <summary>Per-image shapes of every value for a per-image input shape (validates parameters against them).</summary>
    public int[][] InferShapes(int[] inputShape, ParameterStore parameters)
    {
        var shapes = new int[ValueCount][];
        shapes[0] = inputShape;
        for (int i = 0; i < Nodes.Count; i++)
        {
            var node = Nodes[i];
            foreach (var p in node.ParameterNames)
                if (!parameters.Contains(p))
                    throw new InvalidInputException($"{node.Kind} node '{node.Name}' needs parameter '{p}', which the model does not have");
            var inputs = InputIds[i].Select(id => shapes[id]).ToArray();
            shapes[i + 1] = node.InferShape(inputs, parameters);
        }
        return shapes;
    }

    /// <summary>Number of nodes that read each value.</summary>
    internal int[] ConsumerCounts()
    {
        var counts = new int[ValueCount];
        foreach (var ids in InputIds) foreach (int id in ids) counts[id]++;
        return counts;
    }
}
