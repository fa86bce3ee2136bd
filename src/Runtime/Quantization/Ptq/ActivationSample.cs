using System.Runtime.InteropServices;

namespace Ompq.Runtime.Quantization.Ptq;

/// <summary>
/// What the step search of one activation sees: its exact minimum and maximum over all calibration values, and a
/// seeded, evenly spread subsample of at most <see cref="Budget"/> values (one random value per stride of the
/// stream, so no channel or pixel period aliases with the stride). The search's cost then does not grow with the
/// calibration set, while the range it must cover is exact.
/// </summary>
public sealed class ActivationSample
{
    public const int DefaultBudget = 1 << 18;

    private readonly List<float> _values;
    private readonly long _stride;
    private readonly Random _random;
    private long _position;
    private long _next;

    /// <param name="total">How many values will be added in all (the stride is total/budget).</param>
    public ActivationSample(long total, int seed, int budget = DefaultBudget)
    {
        if (total < 1) throw new ArgumentException($"an activation sample needs at least one value, got {total}");
        if (budget < 1) throw new ArgumentException($"sample budget must be >= 1, got {budget}");
        Budget = budget;
        _stride = Math.Max(1, (total + budget - 1) / budget);
        _random = new Random(seed);
        _values = new List<float>((int)Math.Min(budget, total));
        _next = _random.NextInt64(_stride);
    }

    public int Budget { get; }
    public float Min { get; private set; } = float.PositiveInfinity;
    public float Max { get; private set; } = float.NegativeInfinity;
    public long Seen => _position;
    public ReadOnlySpan<float> Values => CollectionsMarshal.AsSpan(_values);

    /// <summary>Adds the next values of the stream.</summary>
    public void Add(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
        {
            if (!float.IsFinite(v))
                throw new InvalidInputException($"an activation holds a non-finite value ({v}); the model or the calibration data is broken");
            if (v < Min) Min = v;
            if (v > Max) Max = v;
        }
        long end = _position + values.Length;
        while (_next < end)
        {
            _values.Add(values[(int)(_next - _position)]);
            long strideStart = _next - _next % _stride + _stride;
            _next = strideStart + _random.NextInt64(_stride);
        }
        _position = end;
    }
}
