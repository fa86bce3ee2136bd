using Ompq.Kernels;
using Ompq.Runtime.Nn.Graph;

namespace Ompq.Runtime.Inference;

/// <summary>
/// A <see cref="QuantizedNetwork"/> compiled for one set of integer kernels: weights packed, epilogues computed, each
/// value's storage chosen, residual adds fused into the conv that produces their second operand, and workspace slots
/// assigned by liveness. Immutable after construction; any number of workspaces run it at once.
/// <para>
/// Storage rule (what makes the integer forward follow the fake-quant forward): a value is held as codes when its
/// quantized readers all read it on one grid (through reshapes and max pools, which commute with quantization), else
/// in fp32. So a conv's input codes are exactly the fake-quant forward's quantized input, and a residual sum, a pooled
/// feature or the logits stay fp32 as there. The one documented difference: an add that also reads a value held as
/// codes (an identity shortcut) reads the quantized value, where the fake-quant forward adds the unquantized one.
/// </para>
/// </summary>
internal sealed class IntegerPlan
{
    private IntegerPlan(IntegerValue[] values, IntegerStep[] steps, long[] slotBytesPerImage, long conversionPerImage, int output)
    {
        Values = values;
        Steps = steps;
        SlotBytesPerImage = slotBytesPerImage;
        ConversionBytesPerImage = conversionPerImage;
        Output = output;
    }

    public IntegerValue[] Values { get; }
    public IntegerStep[] Steps { get; }
    public long[] SlotBytesPerImage { get; }
    public long ConversionBytesPerImage { get; }
    public int Output { get; }
    public long OutputPerImage => Values[Output].PerImage;

    public static IntegerPlan Compile(QuantizedNetwork network, IIntegerKernels kernels)
    {
        var graph = network.Graph;
        var (c, h, w) = network.InputShape;
        int[][] shapes;
        using (var reference = network.ToReferenceModel()) shapes = graph.InferShapes(new[] { c, h, w }, reference.Parameters);
        int count = graph.ValueCount;
        var values = new IntegerValue[count];
        for (int v = 0; v < count; v++) values[v] = new IntegerValue { Id = v, Shape = shapes[v], Root = v };
        var consumers = new List<int>[count];
        for (int v = 0; v < count; v++) consumers[v] = new List<int>();
        for (int i = 0; i < graph.Nodes.Count; i++) foreach (int v in graph.InputIds[i]) consumers[v].Add(i);

        var fusedInto = FindResidualFusions(graph, consumers);
        ChooseStorage(network, graph, values, consumers, fusedInto);
        var steps = BuildSteps(network, graph, values, fusedInto, kernels);
        var slots = AssignSlots(values, steps, graph.OutputId);
        long conversion = steps.OfType<WeightLayerStep>().Where(s => s.ConvertInput).Select(s => s.PerImage.InputSize).DefaultIfEmpty(0).Max();
        return new IntegerPlan(values, steps, slots, conversion, graph.OutputId);
    }

    /// <summary>add node index → (producing weight-layer node index, the other operand) for adds fused into a conv/linear epilogue.</summary>
    private static Dictionary<int, (int Producer, int Residual)> FindResidualFusions(ModelGraph graph, List<int>[] consumers)
    {
        var fused = new Dictionary<int, (int, int)>();
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            if (graph.Nodes[i] is not AddNode) continue;
            int x = graph.InputIds[i][0], y = graph.InputIds[i][1];
            if (x == y) continue;
            // The later operand's producer runs last, when the other operand is ready: it takes the add.
            var (u, other) = x > y ? (x, y) : (y, x);
            if (u == 0 || u == graph.OutputId || consumers[u].Count != 1) continue;
            if (graph.Nodes[u - 1] is not (ConvNode { Activation: Activation.None } or LinearNode { Activation: Activation.None })) continue;
            fused[i] = (u - 1, other);
        }
        return fused;
    }

    private static void ChooseStorage(QuantizedNetwork network, ModelGraph graph, IntegerValue[] values, List<int>[] consumers,
        Dictionary<int, (int Producer, int Residual)> fusedInto)
    {
        var fusedProducers = fusedInto.Values.Select(f => f.Producer).ToHashSet();
        var demands = new List<CodeGrid>?[values.Length];
        var forceFloat = new bool[values.Length];
        forceFloat[graph.OutputId] = true;
        for (int v = values.Length - 1; v >= 0; v--)
        {
            var set = new List<CodeGrid>();
            foreach (int i in consumers[v])
            {
                var node = graph.Nodes[i];
                int output = i + 1;
                switch (node)
                {
                    case WeightLayerNode layer:
                        set.Add(network.Layers[layer.Name].InputGrid);
                        break;
                    case ReshapeNode:
                    case PoolNode { Pool: PoolKind.Max }:
                        if (demands[output] is { } passed) set.AddRange(passed);
                        forceFloat[v] |= forceFloat[output];
                        break;
                }
            }
            demands[v] = set;
        }
        for (int v = 0; v < values.Length; v++)
        {
            var value = values[v];
            if (v == 0)
            {
                value.Storage = ValueStorage.Images;
                foreach (int i in consumers[0])
                    if (graph.Nodes[i] is not WeightLayerNode)
                        throw new UnsupportedModelException($"{graph.Nodes[i].Kind} node '{graph.Nodes[i].Name}' reads the images directly; integer inference needs a conv or linear layer first");
                continue;
            }
            var producer = graph.Nodes[v - 1];
            if (fusedProducers.Contains(v - 1))
            {
                value.Storage = ValueStorage.Fused;
                continue;
            }
            if (producer is ReshapeNode or PoolNode { Pool: PoolKind.Max })
            {
                var source = values[graph.InputIds[v - 1][0]];
                if (source.Storage is ValueStorage.Images or ValueStorage.Fused)
                    throw new UnsupportedModelException($"{producer.Kind} node '{producer.Name}' reads a value integer inference does not hold");
                value.Storage = source.Storage;
                value.Grid = source.Grid;
                if (producer is ReshapeNode) value.Root = source.Root;
                continue;
            }
            var distinct = demands[v]!.Distinct().ToList();
            if (!forceFloat[v] && distinct.Count == 1)
            {
                value.Storage = ValueStorage.Codes;
                value.Grid = distinct[0];
            }
            else value.Storage = ValueStorage.Floats;
        }
        // A fused add's output is written by its producer's step: its storage was chosen above like any value's.
    }

    private static IntegerStep[] BuildSteps(QuantizedNetwork network, ModelGraph graph, IntegerValue[] values,
        Dictionary<int, (int Producer, int Residual)> fusedInto, IIntegerKernels kernels)
    {
        var addOf = fusedInto.ToDictionary(f => f.Value.Producer, f => (Add: f.Key, f.Value.Residual));
        var steps = new List<IntegerStep>();
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            int input = graph.InputIds[i][0], output = i + 1;
            switch (node)
            {
                case AddNode add:
                    if (fusedInto.ContainsKey(i)) break;
                    steps.Add(new AddStep(input, graph.InputIds[i][1], add.Activation, output));
                    break;
                case WeightLayerNode layer:
                {
                    int residual = -1;
                    var activation = layer is ConvNode conv ? conv.Activation : ((LinearNode)layer).Activation;
                    if (addOf.TryGetValue(i, out var fused))
                    {
                        residual = fused.Residual;
                        output = fused.Add + 1;
                        activation = ((AddNode)graph.Nodes[fused.Add]).Activation;
                    }
                    steps.Add(WeightLayer(network.Layers[layer.Name], layer, values, input, output, residual, activation, kernels));
                    break;
                }
                case PoolNode pool:
                {
                    var x = values[input].Shape;
                    var shape = new Pool2dShape(1, x[0], x[1], x[2], pool.KernelH, pool.KernelW, pool.StrideH, pool.StrideW, pool.PadH, pool.PadW, pool.CountIncludePad);
                    steps.Add(new PoolStep(input, output, shape, pool.Pool == PoolKind.Max));
                    break;
                }
                case GlobalAvgPoolNode:
                {
                    var x = values[input].Shape;
                    steps.Add(new GlobalPoolStep(input, output, x[0], x[1] * x[2]));
                    break;
                }
                case ActivationNode activationNode:
                    steps.Add(new ActivationStep(input, activationNode.Activation, output));
                    break;
                case ReshapeNode reshape:
                    CheckReshape(graph, values, reshape, input, output);
                    break;
                default:
                    throw new UnsupportedModelException($"{node.Kind} node '{node.Name}' is not supported by integer inference");
            }
        }
        return steps.ToArray();
    }

    /// <summary>Channels-last memory is a C×H×W tensor's flattening only when H·W = 1, or when linear layers (whose weight columns are permuted) read it.</summary>
    private static void CheckReshape(ModelGraph graph, IntegerValue[] values, ReshapeNode reshape, int input, int output)
    {
        var root = values[values[input].Root].Shape;
        bool planar = root.Length == 3 && root[1] * root[2] > 1;
        if (!planar) return;
        if (values[output].Shape.Length != 1)
            throw new UnsupportedModelException($"reshape '{reshape.Name}' of a {Tensors.HostTensor.FormatShape(root)} tensor to {Tensors.HostTensor.FormatShape(values[output].Shape)} is not supported (only flattening into linear layers)");
        for (int i = 0; i < graph.Nodes.Count; i++)
            if (graph.InputIds[i].Contains(output) && graph.Nodes[i] is not (LinearNode or ReshapeNode))
                throw new UnsupportedModelException($"the flattened '{reshape.Name}' is read by {graph.Nodes[i].Kind} '{graph.Nodes[i].Name}'; integer inference flattens only into linear layers");
    }

    private static WeightLayerStep WeightLayer(QuantizedLayer layer, WeightLayerNode node, IntegerValue[] values, int input, int output,
        int residual, Activation activation, IIntegerKernels kernels)
    {
        var x = values[input];
        var codes = layer.Codes;
        Conv2dShape shape;
        if (node is ConvNode conv)
        {
            if (x.Shape.Length != 3) throw new UnsupportedModelException($"conv '{node.Name}' reads a {Tensors.HostTensor.FormatShape(x.Shape)} value; expected C×H×W");
            var g = conv.Geometry;
            var ws = layer.WeightShape;
            shape = new Conv2dShape(1, x.Shape[0], x.Shape[1], x.Shape[2], ws[0], ws[2], ws[3], g.StrideH, g.StrideW, g.PadH, g.PadW, g.DilationH, g.DilationW, g.Groups);
            if (shape.Groups != 1 && !shape.IsDepthwise)
                throw new UnsupportedModelException($"conv '{node.Name}' has groups={shape.Groups}; integer inference runs groups 1 and depthwise");
        }
        else
        {
            int features = (int)x.PerImage;
            shape = new Conv2dShape(1, features, 1, 1, layer.OutChannels, 1, 1);
            var root = values[x.Root].Shape;
            if (root.Length == 3 && root[1] * root[2] > 1) codes = ChannelsLastColumns(codes, layer.OutChannels, root[0], root[1] * root[2]);
        }
        var grid = layer.InputGrid;
        int k = layer.OutChannels;
        long depth = codes.LongLength / k;
        var correction = new int[k];
        var multiplier = new float[k];
        for (int o = 0; o < k; o++)
        {
            long sum = 0;
            for (long j = 0; j < depth; j++) sum += codes[o * depth + j];
            correction[o] = checked((int)(grid.Zero * sum));
            multiplier[o] = grid.Scale * layer.Scales[o];
        }
        bool convert = x.Storage != ValueStorage.Codes || x.Grid != grid;
        return new WeightLayerStep
        {
            Layer = node.Name, Input = input, Output = output, Residual = residual, PerImage = shape, InputGrid = grid, ConvertInput = convert,
            Weights = kernels.PackConvWeights(codes, shape), Epilogue = new IntegerEpilogue(correction, multiplier, layer.Bias, activation),
        };
    }

    /// <summary>A linear weight's columns from C×H×W order (how the graph flattens) to H×W×C order (how channels-last memory lies).</summary>
    private static sbyte[] ChannelsLastColumns(sbyte[] codes, int rows, int channels, int plane)
    {
        var permuted = new sbyte[codes.Length];
        int features = channels * plane;
        for (int r = 0; r < rows; r++)
            for (int ch = 0; ch < channels; ch++)
                for (int p = 0; p < plane; p++)
                    permuted[r * features + p * channels + ch] = codes[r * features + ch * plane + p];
        return permuted;
    }

    /// <summary>Gives every stored value a slot; a slot is reused once every reader of its previous value has run.</summary>
    private static long[] AssignSlots(IntegerValue[] values, IntegerStep[] steps, int outputId)
    {
        var lastUse = new int[values.Length];
        Array.Fill(lastUse, -1);
        for (int s = 0; s < steps.Length; s++)
            foreach (int v in steps[s].Reads) lastUse[values[v].Root] = Math.Max(lastUse[values[v].Root], s);
        lastUse[values[outputId].Root] = int.MaxValue;
        var capacities = new List<long>();
        var free = new List<int>();
        for (int s = 0; s < steps.Length; s++)
        {
            var value = values[steps[s].Writes];
            long need = value.BytesPerImage;
            int best = -1;
            foreach (int slot in free)
                if (capacities[slot] >= need && (best < 0 || capacities[slot] < capacities[best])) best = slot;
            if (best < 0 && free.Count > 0) best = free.MaxBy(slot => capacities[slot]);
            if (best < 0)
            {
                best = capacities.Count;
                capacities.Add(0);
            }
            else free.Remove(best);
            capacities[best] = Math.Max(capacities[best], need);
            value.Slot = best;
            if (lastUse[value.Id] < 0) free.Add(best); // never read (a dead value): its slot is free again at once
            foreach (int v in steps[s].Reads.Distinct())
            {
                int root = values[v].Root;
                if (lastUse[root] == s && values[root].Slot >= 0) free.Add(values[root].Slot);
            }
        }
        foreach (var value in values)
            if (value.Root != value.Id) value.Slot = values[value.Root].Slot;
        return capacities.ToArray();
    }
}
