using TorchSharp;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Ompq.Benchmarking;

/// <summary>
/// One input of a case: its shape and how it is filled. Null <see cref="Fill"/> means seeded uniform values in
/// [−1, 1]; otherwise the value of each element by its index (a variance that must be positive, class labels, a
/// momentum buffer that starts at zero).
/// </summary>
public sealed record BenchInput(long[] Shape, Func<long, float>? Fill = null)
{
    public long Size => Shape.Aggregate(1L, (a, b) => a * b);

    public static BenchInput Uniform(params long[] shape) => new(shape);

    public static BenchInput Constant(float value, params long[] shape) => new(shape, _ => value);
}

/// <summary>
/// The host arrays of one case, generated once from one seeded source in the order the case lists them: both sides
/// are built from these same floats (ours uploads them, libtorch wraps a copy with the input's shape), so their
/// outputs can be compared element by element.
/// </summary>
public sealed class BenchInputs
{
    public const int DefaultSeed = 1;

    private readonly float[][] _values;
    private readonly long[][] _shapes;

    public BenchInputs(IReadOnlyList<BenchInput> specs, int seed = DefaultSeed)
    {
        var rng = new Random(seed);
        _values = new float[specs.Count][];
        _shapes = new long[specs.Count][];
        for (int i = 0; i < specs.Count; i++)
        {
            var spec = specs[i];
            var host = new float[spec.Size];
            if (spec.Fill is { } fill)
                for (long j = 0; j < host.LongLength; j++) host[j] = fill(j);
            else
                for (long j = 0; j < host.LongLength; j++) host[j] = rng.NextSingle() * 2 - 1;
            _values[i] = host;
            _shapes[i] = spec.Shape;
        }
    }

    public int Count => _values.Length;

    /// <summary>Input i as host floats (row-major). Runners copy it; nothing may change it in place.</summary>
    public float[] this[int i] => _values[i];

    public long[] Shape(int i) => _shapes[i];

    /// <summary>A libtorch tensor holding a copy of input i, with its shape.</summary>
    public TorchTensor Torch(int i) => torch.tensor(_values[i], _shapes[i]);

    /// <summary>Every input as a libtorch tensor (copies).</summary>
    public TorchTensor[] Torch() => Enumerable.Range(0, Count).Select(Torch).ToArray();
}
