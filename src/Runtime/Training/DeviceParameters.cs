using Ompq.Kernels;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Training;

/// <summary>One parameter or buffer on the device: its value, and for trainable ones its gradient and optimizer slots.</summary>
public sealed class DeviceParameter
{
    internal DeviceParameter(string name, int[] shape, DeviceBuffer value, DeviceBuffer? gradient)
    {
        Name = name;
        Shape = shape;
        Value = value;
        Gradient = gradient;
    }

    public string Name { get; }
    public int[] Shape { get; }
    public long Length => Value.Length;
    public DeviceBuffer Value { get; }

    /// <summary>∂loss/∂value of the last backward; null for buffers that are not trained (running statistics).</summary>
    public DeviceBuffer? Gradient { get; }

    public bool IsTrainable => Gradient is not null;

    /// <summary>Optimizer state (momentum, Adam's m and v), created by the optimizer on its first step.</summary>
    internal DeviceBuffer[] Slots { get; set; } = Array.Empty<DeviceBuffer>();
}

/// <summary>
/// A model's parameters resident on one backend for a whole training run: values, gradients and optimizer state
/// never cross to the host between steps. The host <see cref="ParameterStore"/> is read once at creation and written
/// back only when asked (<see cref="CopyToHost"/>: checkpoints, evaluation, export).
/// </summary>
public sealed class DeviceParameters : IDisposable
{
    private readonly List<DeviceParameter> _ordered = new();
    private readonly List<DeviceParameter> _trainable = new();
    private readonly Dictionary<string, DeviceParameter> _byName = new(StringComparer.Ordinal);

    /// <summary>Uploads every parameter the graph reads; those a node declares trainable also get a gradient buffer.</summary>
    public DeviceParameters(IKernels kernels, ModelGraph graph, ParameterStore store)
    {
        Kernels = kernels;
        var trainable = new HashSet<string>(graph.Nodes.SelectMany(n => n.TrainableParameterNames), StringComparer.Ordinal);
        try
        {
            foreach (string name in graph.Nodes.SelectMany(n => n.ParameterNames).Distinct())
            {
                var host = store[name];
                var value = kernels.Allocate(host.Size);
                DeviceBuffer? gradient = null;
                try
                {
                    kernels.Upload(host.Data, value);
                    if (trainable.Contains(name)) gradient = kernels.Allocate(host.Size);
                }
                catch
                {
                    value.Dispose();
                    throw;
                }
                var parameter = new DeviceParameter(name, (int[])host.Shape.Clone(), value, gradient);
                _ordered.Add(parameter);
                if (parameter.IsTrainable) _trainable.Add(parameter);
                _byName[name] = parameter;
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public IKernels Kernels { get; }

    /// <summary>Every parameter and buffer in the order the graph first reads them (the optimizer's fixed order).</summary>
    public IReadOnlyList<DeviceParameter> All => _ordered;

    /// <summary>The trainable subset of <see cref="All"/>, same order.</summary>
    public IReadOnlyList<DeviceParameter> Trainable => _trainable;

    public long TrainableCount => Trainable.Sum(p => p.Length);

    public DeviceParameter this[string name] => _byName.TryGetValue(name, out var p)
        ? p
        : throw new KeyNotFoundException($"no device parameter named '{name}'");

    /// <summary>Downloads every value into the host store (one version bump), e.g. before a checkpoint or an evaluation.</summary>
    public void CopyToHost(ParameterStore store)
    {
        Kernels.Synchronize();
        foreach (var p in _ordered) Kernels.Download(p.Value, store[p.Name].Data);
        store.MarkChanged();
    }

    /// <summary>Uploads the host store's values (after a checkpoint was loaded into it).</summary>
    public void CopyFromHost(ParameterStore store)
    {
        foreach (var p in _ordered) Kernels.Upload(store[p.Name].Data, p.Value);
    }

    public void Dispose()
    {
        foreach (var p in _ordered)
        {
            p.Value.Dispose();
            p.Gradient?.Dispose();
            foreach (var slot in p.Slots) slot.Dispose();
        }
        _ordered.Clear();
        _trainable.Clear();
        _byName.Clear();
    }
}
