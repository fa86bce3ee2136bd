using Ompq.Runtime.Io;
using Ompq.Runtime.Quantization;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Nn.Graph;

/// <summary>
/// A network built from a <see cref="ModelGraph"/> and named parameters: the zoo models (ResNet, MobileNetV2, the
/// small ResNet) and ONNX imports. Inference runs through the op contract on the backend of the input tensor;
/// weights are folded and uploaded on first use and again after the parameters change. Not thread-safe.
/// </summary>
public sealed class GraphModel : IQuantizableModel
{
    private readonly Dictionary<SearchMode, IReadOnlyList<QuantUnit>> _units = new();
    private readonly Dictionary<SearchMode, FixedLayers> _fixed = new();
    private readonly Dictionary<SearchMode, List<int>?[]> _captures = new();
    private readonly Dictionary<(int, int), int[][]> _shapeCache = new();
    private GraphExecutor? _executor;
    private readonly IReadOnlyDictionary<SearchMode, IReadOnlyList<UnitSpec>> _unitSpecs;
    private readonly IReadOnlyDictionary<SearchMode, IReadOnlyList<string>> _fixedLayerNames;
    private QuantizationConfig _quantization = QuantizationConfig.None;

    public GraphModel(string name, ModelGraph graph, ParameterStore parameters, (int Channels, int Height, int Width) inputShape,
        IReadOnlyDictionary<SearchMode, IReadOnlyList<UnitSpec>> units, IReadOnlyDictionary<SearchMode, IReadOnlyList<string>> fixedLayers)
    {
        Name = name;
        _unitSpecs = units;
        _fixedLayerNames = fixedLayers;
        Graph = graph;
        Parameters = parameters;
        InputShape = inputShape;
        var shapes = ShapesFor(inputShape.Height, inputShape.Width);
        foreach (var mode in Enum.GetValues<SearchMode>())
        {
            var specs = units.TryGetValue(mode, out var s) ? s : Array.Empty<UnitSpec>();
            var fixedNames = fixedLayers.TryGetValue(mode, out var f) ? f : Array.Empty<string>();
            BuildUnits(mode, specs, fixedNames, shapes);
        }
    }

    public string Name { get; }
    public ModelGraph Graph { get; }

    /// <summary>State-dict tensors by name. Editing them (through the store) makes the next forward re-upload.</summary>
    public ParameterStore Parameters { get; }

    public (int Channels, int Height, int Width) InputShape { get; }

    /// <summary>Per-image shape of the output at <see cref="InputShape"/>.</summary>
    public int[] OutputShape => ShapesFor(InputShape.Height, InputShape.Width)[Graph.OutputId];

    /// <summary>Activation memory the current backend's pool holds (floats); 0 before the first forward.</summary>
    public long PooledActivationFloats => _executor?.PooledFloats ?? 0;

    public IReadOnlyList<QuantUnit> Units(SearchMode mode) => _units[mode];

    public FixedLayers Fixed(SearchMode mode) => _fixed[mode];

    /// <summary>Indices of the units (of <paramref name="mode"/>) whose output is graph value <paramref name="valueId"/>; empty if none.</summary>
    public IReadOnlyList<int> UnitsCapturedAt(SearchMode mode, int valueId) => (IReadOnlyList<int>?)_captures[mode][valueId] ?? Array.Empty<int>();

    /// <summary>Parameter count for the size budget of a weight layer (conv: weight + bias + 2·C for its BN; linear: weight + bias).</summary>
    public long LayerParams(string layer) => Graph.Node(layer) switch
    {
        WeightLayerNode weighted => weighted.ParamCount(Parameters),
        var other => throw new ArgumentException($"'{layer}' is a {other.Kind} node, not a weight layer"),
    };

    /// <summary>Weight layers (conv and linear nodes) in execution order.</summary>
    public IEnumerable<WeightLayerNode> WeightLayers => Graph.Nodes.OfType<WeightLayerNode>();

    public Tensor Forward(Tensor input, SearchMode mode, Action<int, Tensor>? onUnitOutput = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4 || input.Dim(1) != InputShape.Channels)
            throw new InvalidInputException(
                $"model '{Name}' expects an N×{InputShape.Channels}×H×W input, got [{string.Join("×", input.Shape)}]");
        var shapes = ShapesFor(input.Dim(2), input.Dim(3));
        if (_executor is null || !ReferenceEquals(_executor.Kernels, input.Kernels))
        {
            _executor?.Dispose();
            _executor = new GraphExecutor(input.Kernels, Graph, Parameters);
        }
        return _executor.Run(input, shapes, _captures[mode], _quantization, onUnitOutput);
    }

    /// <summary>Bit-widths at which weight layers currently run (empty = full precision).</summary>
    public IReadOnlyDictionary<string, int> WeightBitWidths => _quantization.WeightBits;

    /// <summary>How the model computes from the next forward on (<see cref="QuantizationConfig.None"/>: fp32).</summary>
    public QuantizationConfig Quantization => _quantization;

    /// <summary>
    /// Runs the named weight layers with fake-quantized weights from the next forward on: the BN-folded weight is
    /// quantized symmetrically per output channel to the given bits (2..8, spec §8); the bias stays fp32. Pass null
    /// or an empty map for full precision. The stored parameters are not changed.
    /// </summary>
    public void SetWeightBits(IReadOnlyDictionary<string, int>? bits) => SetQuantization(QuantizationConfig.WeightsOnly(bits));

    /// <summary>
    /// Runs the model as <paramref name="config"/> says from the next forward on: weights fake-quantized per output
    /// channel (with the configured scales, or from the weights), inputs of the configured layers fake-quantized per
    /// tensor. Null = fp32. Throws <see cref="InvalidInputException"/> when the configuration does not fit the graph.
    /// </summary>
    public void SetQuantization(QuantizationConfig? config)
    {
        config ??= QuantizationConfig.None;
        config.Validate(Graph, Parameters, Name);
        _quantization = config;
    }

    /// <summary>True when no conv carries a batch-norm any more (<see cref="FoldBatchNorm"/>).</summary>
    public bool IsBatchNormFolded => !Graph.Nodes.OfType<ConvNode>().Any(c => c.BatchNorm is not null);

    /// <summary>
    /// A new model computing the same function with every conv's batch-norm folded into its weight and bias
    /// (<see cref="BatchNormGraphFolding"/>): what quantization-aware training with frozen statistics and post-training
    /// quantization start from. Same name, units and input shape; the quantization configuration is not carried over.
    /// </summary>
    public GraphModel FoldBatchNorm()
    {
        var (graph, parameters) = BatchNormGraphFolding.Fold(Graph, Parameters);
        return new GraphModel(Name, graph, parameters, InputShape, _unitSpecs, _fixedLayerNames);
    }

    /// <summary>
    /// Checks that a batch of <paramref name="images"/> fits the tensor-elements limit: the input batch and every
    /// activation of the forward pass, before any of them is allocated.
    /// </summary>
    public void CheckBatch(int images, ResourceLimits limits, string imagesOrigin)
    {
        var shapes = ShapesFor(InputShape.Height, InputShape.Width);
        for (int id = 0; id < shapes.Length; id++)
        {
            var factors = new long[shapes[id].Length + 1];
            factors[0] = images;
            for (int d = 0; d < shapes[id].Length; d++) factors[d + 1] = shapes[id][d];
            string value = id == 0 ? "input batch" : $"activation '{Graph.ValueName(id)}'";
            limits.CheckProduct(ResourceLimits.TensorElements, factors, $"{imagesOrigin}: {value} of model '{Name}'");
        }
    }

    private int[][] ShapesFor(int height, int width)
    {
        if (!_shapeCache.TryGetValue((height, width), out var shapes))
        {
            shapes = Graph.InferShapes(new[] { InputShape.Channels, height, width }, Parameters);
            _shapeCache[(height, width)] = shapes;
        }
        return shapes;
    }

    private void BuildUnits(SearchMode mode, IReadOnlyList<UnitSpec> specs, IReadOnlyList<string> fixedNames, int[][] shapes)
    {
        var ordered = specs.Select(s => (Spec: s, Value: Graph.ValueId(s.Capture))).OrderBy(p => p.Value).ToList();
        var units = new List<QuantUnit>(ordered.Count);
        var captures = new List<int>?[Graph.ValueCount];
        var claimed = new HashSet<string>(fixedNames, StringComparer.Ordinal);
        foreach (var (spec, value) in ordered)
        {
            long parameters = 0, macs = 0;
            foreach (var layer in spec.Layers)
            {
                if (!claimed.Add(layer))
                    throw new ArgumentException($"layer '{layer}' belongs to more than one unit or fixed set ({mode})");
                parameters += LayerParams(layer);
                macs += LayerMacs(layer, shapes);
            }
            (captures[value] ??= new List<int>()).Add(units.Count);
            units.Add(new QuantUnit(spec.Name, spec.Layers, parameters, macs, HostTensor.ElementCount(shapes[value]), spec.FixedBits));
        }
        _units[mode] = units;
        _captures[mode] = captures;
        _fixed[mode] = new FixedLayers(fixedNames, fixedNames.Sum(LayerParams), fixedNames.Sum(l => LayerMacs(l, shapes)));
    }

    private long LayerMacs(string layer, int[][] shapes)
    {
        var node = Graph.Node(layer);
        int index = Graph.ValueId(node.Output) - 1;
        var inputs = Graph.InputIds[index].Select(id => shapes[id]).ToArray();
        return node.Macs(inputs, shapes[index + 1], Parameters);
    }

    public void Dispose()
    {
        _executor?.Dispose();
        _executor = null;
    }
}
