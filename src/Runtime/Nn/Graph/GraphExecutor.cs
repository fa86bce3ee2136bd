using Ompq.Kernels;
using Ompq.Runtime.Quantization;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Nn.Graph;

/// <summary>
/// Runs a <see cref="ModelGraph"/> on one backend: device copies of the (folded) weights, and activation memory
/// from a <see cref="BufferPool"/>. A value's buffer goes back to the pool after its last reader; an add or
/// activation writes over its first operand when nothing else reads it. Nothing is copied to the host.
/// </summary>
internal sealed class GraphExecutor : IDisposable
{
    private readonly ModelGraph _graph;
    private readonly ParameterStore _parameters;
    private readonly BufferPool _pool;
    private readonly int[] _consumers;
    private DeviceBuffer[][]? _weights;
    private int _weightsVersion = -1;
    private QuantizationConfig? _weightsQuantization;

    public GraphExecutor(IKernels kernels, ModelGraph graph, ParameterStore parameters)
    {
        Kernels = kernels;
        _graph = graph;
        _parameters = parameters;
        _pool = new BufferPool(kernels);
        _consumers = graph.ConsumerCounts();
        _consumers[graph.OutputId]++;
    }

    public IKernels Kernels { get; }
    public long PooledFloats => _pool.AllocatedFloats;

    private void EnsureWeights(QuantizationConfig config)
    {
        if (_weights is not null && _weightsVersion == _parameters.Version && ReferenceEquals(_weightsQuantization, config)) return;
        ReleaseWeights();
        int version = _parameters.Version;
        var weights = new DeviceBuffer[_graph.Nodes.Count][];
        try
        {
            for (int i = 0; i < weights.Length; i++)
            {
                var node = _graph.Nodes[i];
                weights[i] = node.Upload(Kernels, _parameters);
                if (config.For(node.Name) is { } q) weights[i][0] = FakeQuantize(weights[i][0], node, q);
            }
        }
        catch
        {
            // A failed upload (device memory, a bad parameter) must not leak what the earlier nodes uploaded.
            foreach (var buffers in weights)
                if (buffers is not null) foreach (var buffer in buffers) buffer.Dispose();
            throw;
        }
        _weights = weights;
        _weightsVersion = version;
        _weightsQuantization = config;
    }

    /// <summary>
    /// Per-output-channel symmetric fake quantization of an uploaded (folded) weight (spec §8): scales from the weight,
    /// or the configured ones (one per-tensor grid per channel; this runs once per upload, not per forward).
    /// </summary>
    private DeviceBuffer FakeQuantize(DeviceBuffer weight, GraphNode node, LayerQuantization q)
    {
        if (node is not WeightLayerNode layer)
            throw new InvalidOperationException($"{node.Kind} node '{node.Name}' has no weight to quantize");
        int channels = layer.OutChannels(_parameters);
        long perChannel = weight.Length / channels;
        var quantized = Kernels.Allocate(weight.Length);
        try
        {
            if (q.WeightScales is not { } scales)
            {
                Kernels.FakeQuantWeightsPerChannel(channels, perChannel, q.WeightBits, weight, quantized);
            }
            else
            {
                FixedScaleWeightQuant.Apply(Kernels, q.WeightBits, scales, weight, quantized);
            }
        }
        catch
        {
            quantized.Dispose();
            throw;
        }
        weight.Dispose();
        return quantized;
    }

    /// <summary>Runs the graph; <paramref name="captures"/>[valueId] lists the unit indices to report for that value.</summary>
    public Tensor Run(Tensor input, int[][] shapes, List<int>?[] captures, QuantizationConfig quantization, Action<int, Tensor>? onUnitOutput)
    {
        EnsureWeights(quantization);
        int n = input.Dim(0);
        int valueCount = _graph.ValueCount;
        var values = new Tensor?[valueCount];
        var storageOf = new int[valueCount];      // value id that owns the memory a value lives in
        var owned = new DeviceBuffer?[valueCount]; // pooled buffer owned by a storage root
        var remaining = new int[valueCount];       // outstanding reads per storage root
        values[0] = input;
        storageOf[0] = 0;
        remaining[0] = _consumers[0];
        try
        {
            var nodes = _graph.Nodes;
            for (int i = 0; i < nodes.Count; i++)
            {
                var node = nodes[i];
                int outId = i + 1;
                var inputIds = _graph.InputIds[i];
                var inputs = new Tensor[inputIds.Length];
                for (int j = 0; j < inputIds.Length; j++) inputs[j] = values[inputIds[j]]!;
                var shape = WithBatch(n, shapes[outId]);

                Tensor output;
                if (node.IsView)
                {
                    int root = storageOf[inputIds[0]];
                    storageOf[outId] = root;
                    remaining[root] += _consumers[outId];
                    output = new Tensor(Kernels, inputs[0].Data, shape, ownsBuffer: false);
                }
                else
                {
                    int firstRoot = storageOf[inputIds[0]];
                    long size = Tensor.SizeOf(shape);
                    if (node.CanRunInPlace && owned[firstRoot] is { } reusable && remaining[firstRoot] == 1
                        && inputs[0].Data.Length == size && inputs[0].Data.Offset == 0
                        && !inputIds.Skip(1).Any(id => storageOf[id] == firstRoot))
                    {
                        // The operand is read for the last time here: write the result over it.
                        owned[firstRoot] = null;
                        remaining[firstRoot] = 0;
                        owned[outId] = reusable;
                        inputs[0] = new Tensor(Kernels, reusable.Slice(0, size), inputs[0].Shape, ownsBuffer: false);
                    }
                    else
                    {
                        owned[outId] = _pool.Rent(size);
                    }
                    storageOf[outId] = outId;
                    remaining[outId] = _consumers[outId];
                    output = new Tensor(Kernels, owned[outId]!.Slice(0, size), shape, ownsBuffer: false);
                    var quantizedInput = quantization.For(node.Name)?.Input is { } activation
                        ? QuantizeInput(inputs, activation)
                        : null;
                    node.Run(Kernels, _parameters, _weights![i], inputs, output);
                    if (quantizedInput is not null) _pool.Return(quantizedInput);
                }
                values[outId] = output;

                if (onUnitOutput is not null && captures[outId] is { } units)
                    foreach (int unit in units) onUnitOutput(unit, output);

                foreach (int id in inputIds) Release(storageOf[id], owned, remaining);
            }

            var result = values[_graph.OutputId]!;
            var copy = Tensor.Allocate(Kernels, result.Shape);
            Kernels.Copy(result.Data, copy.Data);
            return copy;
        }
        finally
        {
            for (int id = 1; id < valueCount; id++)
                if (owned[id] is { } buffer) _pool.Return(buffer);
        }
    }

    /// <summary>Replaces inputs[0] by its fake-quantized copy in a pooled buffer, which the caller returns after the node ran.</summary>
    private DeviceBuffer QuantizeInput(Tensor[] inputs, ActivationQuant activation)
    {
        var x = inputs[0];
        var buffer = _pool.Rent(x.Size);
        Kernels.FakeQuantPerTensor(activation.Grid, x.Data, buffer.Slice(0, x.Size), x.Size);
        inputs[0] = new Tensor(Kernels, buffer.Slice(0, x.Size), x.Shape, ownsBuffer: false);
        return buffer;
    }

    private void Release(int root, DeviceBuffer?[] owned, int[] remaining)
    {
        if (remaining[root] <= 0) return;
        if (--remaining[root] == 0 && owned[root] is { } buffer)
        {
            owned[root] = null;
            _pool.Return(buffer);
        }
    }

    private static int[] WithBatch(int n, int[] perImage)
    {
        var shape = new int[perImage.Length + 1];
        shape[0] = n;
        perImage.CopyTo(shape, 1);
        return shape;
    }

    private void ReleaseWeights()
    {
        if (_weights is null) return;
        foreach (var buffers in _weights) foreach (var b in buffers) b.Dispose();
        _weights = null;
    }

    public void Dispose()
    {
        ReleaseWeights();
        _pool.Dispose();
    }
}
