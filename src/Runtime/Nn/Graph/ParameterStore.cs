using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Nn.Graph;

/// <summary>
/// A model's parameters and buffers by state-dict name (torchvision names for the zoo models, initializer names for
/// ONNX imports), in registration order. Every change bumps <see cref="Version"/> so device copies are rebuilt.
/// </summary>
public sealed class ParameterStore
{
    private readonly List<string> _names = new();
    private readonly Dictionary<string, HostTensor> _tensors = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Names => _names;
    public int Count => _names.Count;
    public int Version { get; private set; }

    public HostTensor this[string name] => _tensors.TryGetValue(name, out var t)
        ? t
        : throw new KeyNotFoundException($"no parameter named '{name}'");

    public bool Contains(string name) => _tensors.ContainsKey(name);

    public bool TryGet(string name, out HostTensor tensor) => _tensors.TryGetValue(name, out tensor!);

    public void Add(string name, HostTensor tensor)
    {
        if (!_tensors.TryAdd(name, tensor)) throw new ArgumentException($"parameter '{name}' is already registered");
        _names.Add(name);
        Version++;
    }

    /// <summary>Overwrites the values of an existing parameter; the shape must match.</summary>
    public void SetValues(string name, ReadOnlySpan<float> values)
    {
        var target = this[name];
        if (values.Length != target.Data.Length)
            throw new ArgumentException($"parameter '{name}' {target.ShapeText} holds {target.Data.Length} values, got {values.Length}");
        values.CopyTo(target.Data);
        Version++;
    }

    /// <summary>Marks the parameters as changed after editing a <see cref="HostTensor.Data"/> array directly.</summary>
    public void MarkChanged() => Version++;
}
