using Ompq.Kernels;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Quantization;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Training;

/// <summary>
/// What a node sees during one training (or training-mode evaluation) step: the backend, the device parameters,
/// whether batch-norm uses batch statistics, and scratch tensors that live until the step ends.
/// </summary>
public sealed class TrainingContext : IDisposable
{
    private readonly BufferPool _pool;
    private readonly List<DeviceBuffer> _rented = new();

    internal TrainingContext(DeviceParameters parameters)
    {
        Parameters = parameters;
        _pool = new BufferPool(parameters.Kernels);
    }

    public IKernels Kernels => Parameters.Kernels;
    public DeviceParameters Parameters { get; }

    /// <summary>True while training: batch-norm normalizes with batch statistics and updates its running statistics.</summary>
    public bool Training { get; internal set; } = true;

    /// <summary>Layers trained with fake-quantized weights and inputs (quantization-aware training); none by default.</summary>
    internal QuantizationConfig Quantization
    {
        get => _quantization;
        set
        {
            foreach (var t in _fixedScales.Values) t.Dispose();
            _fixedScales.Clear();
            _quantization = value;
        }
    }

    private QuantizationConfig _quantization = QuantizationConfig.None;
    private readonly Dictionary<string, Tensor> _fixedScales = new(StringComparer.Ordinal);

    /// <summary>A layer's fixed weight scales on the device, uploaded once per configuration.</summary>
    internal Tensor FixedWeightScales(string layer, float[] scales)
    {
        if (!_fixedScales.TryGetValue(layer, out var t))
        {
            t = Tensor.FromHost(Kernels, scales, scales.Length);
            _fixedScales[layer] = t;
        }
        return t;
    }

    /// <summary>Observed ranges of the quantized inputs (exponential moving averages while training).</summary>
    internal ActivationRanges ActivationRanges { get; } = new();

    /// <summary>Batch-norm running-statistics momentum (PyTorch's default 0.1).</summary>
    public float BatchNormMomentum { get; init; } = 0.1f;

    /// <summary>Activation memory the step pool holds (floats).</summary>
    public long PooledFloats => _pool.AllocatedFloats;

    /// <summary>A tensor valid until <see cref="EndStep"/>; its contents are undefined.</summary>
    public Tensor Rent(int[] shape)
    {
        long size = Tensor.SizeOf(shape);
        var buffer = _pool.Rent(size);
        _rented.Add(buffer);
        return new Tensor(Kernels, buffer.Slice(0, size), shape, ownsBuffer: false);
    }

    /// <summary>The gradient before an activation: <paramref name="outputGradient"/> itself for none, else masked by the output.</summary>
    public Tensor ActivationGradient(Activation activation, Tensor output, Tensor outputGradient)
    {
        if (activation == Activation.None) return outputGradient;
        var gradient = Rent(output.Shape);
        Kernels.ActivateBackward(activation, output.Data, outputGradient.Data, gradient.Data, output.Size);
        return gradient;
    }

    /// <summary>Returns every tensor rented during the step to the pool (the next step reuses them).</summary>
    internal void EndStep()
    {
        foreach (var b in _rented) _pool.Return(b);
        _rented.Clear();
    }

    public void Dispose()
    {
        ActivationRanges.Dispose();
        Quantization = QuantizationConfig.None;
        _rented.Clear();
        _pool.Dispose();
    }
}

/// <summary>What one node keeps from its forward for its backward (e.g. a conv's pre-batch-norm output and batch statistics).</summary>
public sealed class NodeTape
{
    private readonly List<Tensor> _saved = new();

    public void Save(Tensor tensor) => _saved.Add(tensor);
    public Tensor this[int index] => _saved[index];
    internal void Clear() => _saved.Clear();
}
