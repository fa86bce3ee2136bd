using Ompq.Kernels;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Quantization;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Training;

/// <summary>
/// Runs a <see cref="GraphModel"/>'s graph forward and backward on one backend with device-resident parameters.
/// A step's tape (every value of the forward plus what each node saved) lives in pooled memory until
/// <see cref="EndStep"/>, so a warm step allocates nothing. Batch-norm is unfused while training; the model's own
/// (folded, fused) inference path stays what evaluation uses. Each trainable parameter must be read by one node.
/// Not thread-safe.
/// </summary>
public sealed class TrainingExecutor : IDisposable
{
    private readonly ModelGraph _graph;
    private readonly TrainingContext _context;
    private readonly NodeTape[] _tapes;
    private readonly bool[][] _needsGradient;
    private readonly bool[] _hasWork;
    private readonly Tensor?[] _values;
    private readonly Dictionary<(int, int), int[][]> _shapes = new();
    private bool _forwardDone;

    public TrainingExecutor(GraphModel model, IKernels kernels)
    {
        Model = model;
        _graph = model.Graph;
        Parameters = new DeviceParameters(kernels, _graph, model.Parameters);
        _context = new TrainingContext(Parameters);
        _tapes = _graph.Nodes.Select(_ => new NodeTape()).ToArray();
        _values = new Tensor?[_graph.ValueCount];
        // Which inputs of each node need a gradient, and which nodes have any backward work: fixed by the graph.
        var reaches = ValuesDependingOnParameters(_graph);
        _needsGradient = _graph.InputIds.Select(ids => ids.Select(id => reaches[id]).ToArray()).ToArray();
        _hasWork = _graph.Nodes.Select((node, i) => _needsGradient[i].Any(b => b) || node.TrainableParameterNames.Any()).ToArray();
    }

    public GraphModel Model { get; }
    public IKernels Kernels => Parameters.Kernels;
    public DeviceParameters Parameters { get; }

    /// <summary>Training mode (batch statistics, running-statistics updates) or evaluation mode (running statistics).</summary>
    public bool Training
    {
        get => _context.Training;
        set => _context.Training = value;
    }

    /// <summary>Bit-widths at which weight layers train (empty = full precision).</summary>
    public IReadOnlyDictionary<string, int> WeightBitWidths => _context.Quantization.WeightBits;

    /// <summary>Observed ranges of quantized inputs (see <see cref="SetQuantization"/>).</summary>
    public ActivationRanges ActivationRanges => _context.ActivationRanges;

    /// <summary>Weights only: <see cref="SetQuantization"/> with each layer's weight at the given bits, inputs fp32.</summary>
    public void SetWeightBits(IReadOnlyDictionary<string, int>? bits) => SetQuantization(QuantizationConfig.WeightsOnly(bits));

    /// <summary>
    /// Quantization-aware training from the next <see cref="Forward"/> on: each configured conv or linear layer computes
    /// with its weight fake-quantized symmetrically per output channel (scales from the current weight, every step) and,
    /// where configured, its input fake-quantized per tensor on the range <see cref="ActivationRanges"/> observes in
    /// training-mode forwards. Gradients pass the straight-through estimator. The fp32 weights stay what the optimizer
    /// updates. Null or an empty configuration trains at full precision.
    /// </summary>
    public void SetQuantization(QuantizationConfig? config)
    {
        config ??= QuantizationConfig.None;
        config.Validate(_graph, Model.Parameters, Model.Name);
        EndStep(); // a tape recorded under another configuration has other entries: its Backward would misread them
        _context.Quantization = config;
    }

    /// <summary>The configuration with the observed input ranges in place of the configured grids.</summary>
    public QuantizationConfig Quantization => _context.ActivationRanges.Apply(_context.Quantization);

    /// <summary>Step activation memory held by the pool (floats).</summary>
    public long PooledFloats => _context.PooledFloats;

    /// <summary>Runs the forward pass and returns the graph output (valid until <see cref="EndStep"/>).</summary>
    /// <param name="onValue">Called with (value id, value) as each node's output is computed (feature capture).</param>
    public Tensor Forward(Tensor input, Action<int, Tensor>? onValue = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (channels, _, _) = Model.InputShape;
        if (input.Rank != 4 || input.Dim(1) != channels)
            throw new InvalidInputException($"model '{Model.Name}' expects an N×{channels}×H×W input, got [{string.Join("×", input.Shape)}]");
        if (!ReferenceEquals(input.Kernels, Kernels)) throw new ArgumentException("the input lives on another backend than the parameters");
        EndStep();
        var shapes = ShapesFor(input.Dim(2), input.Dim(3));
        int n = input.Dim(0);
        _values[0] = input;
        var nodes = _graph.Nodes;
        for (int i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            var inputs = Inputs(i);
            var shape = WithBatch(n, shapes[i + 1]);
            var output = node.IsView
                ? new Tensor(Kernels, inputs[0].Data, shape, ownsBuffer: false)
                : _context.Rent(shape);
            node.TrainForward(_context, _tapes[i], inputs, output);
            _values[i + 1] = output;
            onValue?.Invoke(i + 1, output);
        }
        _forwardDone = true;
        return _values[_graph.OutputId]!;
    }

    /// <summary>
    /// Back-propagates <paramref name="outputGradient"/> (∂loss/∂output, same shape as the output) through the graph
    /// of the last <see cref="Forward"/>, writing every trainable parameter's gradient.
    /// </summary>
    public void Backward(Tensor outputGradient)
    {
        if (!_forwardDone) throw new InvalidOperationException("Backward needs a Forward in the same step");
        if (!Training) throw new InvalidOperationException("Backward needs a training-mode forward");
        var output = _values[_graph.OutputId]!;
        if (outputGradient.Size != output.Size) throw new ArgumentException($"output gradient has {outputGradient.Size} values, the output {output.Size}");
        foreach (var p in Parameters.Trainable) Kernels.Fill(p.Gradient!, 0f);
        var gradients = new Tensor?[_graph.ValueCount];
        gradients[_graph.OutputId] = outputGradient;
        var nodes = _graph.Nodes;
        for (int i = nodes.Count - 1; i >= 0; i--)
        {
            if (gradients[i + 1] is not { } outputGrad || !_hasWork[i]) continue;
            var ids = _graph.InputIds[i];
            var inputGradients = new Tensor?[ids.Length];
            nodes[i].Backward(_context, _tapes[i], Inputs(i), _values[i + 1]!, outputGrad, _needsGradient[i], inputGradients);
            for (int j = 0; j < ids.Length; j++)
                if (inputGradients[j] is { } g) Accumulate(gradients, ids[j], g);
        }
    }

    /// <summary>Frees the step's tape back to the pool; the next Forward starts a new step.</summary>
    public void EndStep()
    {
        _context.EndStep();
        foreach (var tape in _tapes) tape.Clear();
        Array.Clear(_values);
        _forwardDone = false;
    }

    /// <summary>
    /// Writes the device values (trained weights, running statistics) into the model's parameter store and, when
    /// training quantized, the quantization with the observed input ranges into the model, so that evaluation through
    /// the model's inference path computes what training did.
    /// </summary>
    public void CopyParametersToModel()
    {
        Parameters.CopyToHost(Model.Parameters);
        if (!_context.Quantization.IsEmpty) Model.SetQuantization(Quantization);
    }

    private Tensor[] Inputs(int node)
    {
        var ids = _graph.InputIds[node];
        var inputs = new Tensor[ids.Length];
        for (int j = 0; j < ids.Length; j++) inputs[j] = _values[ids[j]]!;
        return inputs;
    }

    /// <summary>Sums gradients of a value read by several nodes into a fresh tensor (never into one a node handed out).</summary>
    private void Accumulate(Tensor?[] gradients, int id, Tensor gradient)
    {
        if (gradients[id] is not { } existing)
        {
            gradients[id] = gradient;
            return;
        }
        var sum = _context.Rent(existing.Shape);
        Kernels.Add(existing.Data, gradient.Data, sum.Data, sum.Size);
        gradients[id] = sum;
    }

    /// <summary>Values whose gradient matters: outputs of nodes with trainable parameters, and anything computed from them.</summary>
    private static bool[] ValuesDependingOnParameters(ModelGraph graph)
    {
        var reaches = new bool[graph.ValueCount];
        for (int i = 0; i < graph.Nodes.Count; i++)
            reaches[i + 1] = graph.Nodes[i].TrainableParameterNames.Any() || graph.InputIds[i].Any(id => reaches[id]);
        return reaches;
    }

    private int[][] ShapesFor(int height, int width)
    {
        if (!_shapes.TryGetValue((height, width), out var shapes))
        {
            shapes = _graph.InferShapes(new[] { Model.InputShape.Channels, height, width }, Model.Parameters);
            _shapes[(height, width)] = shapes;
        }
        return shapes;
    }

    private static int[] WithBatch(int n, int[] perImage)
    {
        var shape = new int[perImage.Length + 1];
        shape[0] = n;
        perImage.CopyTo(shape, 1);
        return shape;
    }

    public void Dispose()
    {
        EndStep();
        _context.Dispose();
        Parameters.Dispose();
    }
}
