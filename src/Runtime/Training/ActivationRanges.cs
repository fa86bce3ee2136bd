using Ompq.Kernels;
using Ompq.Runtime.Quantization;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Training;

/// <summary>
/// The range each quantized layer input has been seen to take, as an exponential moving average of per-batch minima
/// and maxima (the first batch sets it). While training and <see cref="Observing"/>, each forward folds its batch in
/// before quantizing; otherwise the last range is used, or the configured grid when none was seen.
/// </summary>
public sealed class ActivationRanges : IDisposable
{
    private readonly Dictionary<string, (float Min, float Max)> _ranges = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ActivationQuant> _used = new(StringComparer.Ordinal);
    private readonly float[] _pair = new float[2];
    private DeviceBuffer? _scratch;

    /// <summary>Weight of the old range in the average (0.9: a batch moves it by a tenth).</summary>
    public float Momentum { get; set; } = 0.9f;

    /// <summary>False freezes the ranges (e.g. late in fine-tuning).</summary>
    public bool Observing { get; set; } = true;

    public bool TryGet(string layer, out (float Min, float Max) range) => _ranges.TryGetValue(layer, out range);

    /// <summary>Every observed range as [min, max] (what a checkpoint keeps so that a resumed run continues the averages).</summary>
    public IReadOnlyDictionary<string, float[]> Snapshot()
        => _ranges.ToDictionary(p => p.Key, p => new[] { p.Value.Min, p.Value.Max }, StringComparer.Ordinal);

    /// <summary>Replaces the observed ranges by a <see cref="Snapshot"/>.</summary>
    public void Restore(IReadOnlyDictionary<string, float[]> ranges)
    {
        _ranges.Clear();
        foreach (var (layer, r) in ranges)
        {
            if (r is null || r.Length != 2 || !float.IsFinite(r[0]) || !float.IsFinite(r[1]) || r[0] > r[1])
                throw new InvalidInputException($"activation range of layer '{layer}' must be two finite numbers [min, max] with min <= max");
            _ranges[layer] = (r[0], r[1]);
        }
    }

    /// <summary>The grid the layer's input is quantized with in this forward (observing the batch first when asked).</summary>
    internal ActivationQuant GridFor(IKernels kernels, string layer, ActivationQuant configured, Tensor x, bool observe)
    {
        if (observe && Observing)
        {
            var scratch = _scratch ??= kernels.Allocate(2);
            kernels.MinMax(1, 1, x.Size, x.Data, scratch.Slice(0, 1), scratch.Slice(1, 1));
            kernels.Download(scratch.All, _pair);
            float min = _pair[0], max = _pair[1];
            if (!float.IsFinite(min) || !float.IsFinite(max))
                throw new InvalidInputException($"layer '{layer}': its input holds non-finite values (range [{min}, {max}]); the model diverged or the data has NaN");
            _ranges[layer] = _ranges.TryGetValue(layer, out var old)
                ? (Momentum * old.Min + (1 - Momentum) * min, Momentum * old.Max + (1 - Momentum) * max)
                : (min, max);
        }
        var grid = _ranges.TryGetValue(layer, out var r) ? ActivationQuant.Covering(configured.Bits, r.Min, r.Max) : configured;
        _used[layer] = grid;
        return grid;
    }

    /// <summary>The grid the last forward used for the layer (the backward's straight-through mask needs the same one).</summary>
    internal ActivationQuant Used(string layer) => _used[layer];

    /// <summary><paramref name="config"/> with each observed layer's input grid replaced by the one covering its range.</summary>
    public QuantizationConfig Apply(QuantizationConfig config)
        => config.WithInputs(layer => config.For(layer)!.Input is { } input
            ? (_ranges.TryGetValue(layer, out var r) ? ActivationQuant.Covering(input.Bits, r.Min, r.Max) : input)
            : null);

    public void Dispose()
    {
        _scratch?.Dispose();
        _scratch = null;
    }
}
