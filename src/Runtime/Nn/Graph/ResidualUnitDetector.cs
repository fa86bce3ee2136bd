namespace Ompq.Runtime.Nn.Graph;

/// <summary>
/// Finds OMPQ units in a graph without module names (e.g. an ONNX import), following spec §2 for ResNets: for each
/// residual add, the conv chain from the block input to the add is the main branch and the other operand's convs
/// the shortcut. Each main-branch conv but the last is a unit captured at its (activated) output; the last one and
/// the shortcut convs form the block unit captured at the add output. Units are named after the captured values.
/// </summary>
public static class ResidualUnitDetector
{
    /// <summary>Returns the block units in execution order and the conv layers they cover.</summary>
    public static (List<UnitSpec> Units, HashSet<string> Covered) Detect(ModelGraph graph)
    {
        var units = new List<UnitSpec>();
        var covered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
        {
            if (node is not AddNode add) continue;
            var pathA = ConvPath(graph, add.Inputs[0]);
            var pathB = ConvPath(graph, add.Inputs[1]);
            // The block input is the value nearest the add that both operands' conv paths pass through.
            int meetA = pathA.Values.FindIndex(v => pathB.Values.Contains(v));
            if (meetA < 0) continue;
            int meetB = pathB.Values.IndexOf(pathA.Values[meetA]);
            var chainA = pathA.Convs.Take(meetA).Reverse().ToList();
            var chainB = pathB.Convs.Take(meetB).Reverse().ToList();
            var (main, shortcut) = chainA.Count >= chainB.Count ? (chainA, chainB) : (chainB, chainA);
            if (main.Count < 2 || main.Concat(shortcut).Any(c => covered.Contains(c.Name))) continue;
            for (int i = 0; i < main.Count - 1; i++)
                units.Add(new UnitSpec(main[i].Output, main[i].Output, new[] { main[i].Name }));
            var blockLayers = new List<string> { main[^1].Name };
            blockLayers.AddRange(shortcut.Select(c => c.Name));
            units.Add(new UnitSpec(add.Output, add.Output, blockLayers));
            foreach (var c in main.Concat(shortcut)) covered.Add(c.Name);
        }
        return (units, covered);
    }

    /// <summary>
    /// Walks back from a value through single-input convs. Values[i] is the value after Convs[i] (Values[0] is the
    /// start); the last value is where the walk stopped.
    /// </summary>
    private static (List<string> Values, List<ConvNode> Convs) ConvPath(ModelGraph graph, string value)
    {
        var values = new List<string> { value };
        var convs = new List<ConvNode>();
        string current = value;
        while (graph.Producer(graph.ValueId(current)) is ConvNode conv)
        {
            convs.Add(conv);
            current = conv.Inputs[0];
            values.Add(current);
        }
        return (values, convs);
    }
}
