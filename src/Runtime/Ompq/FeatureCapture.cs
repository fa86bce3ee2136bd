using Ompq.Runtime.Nn;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Search;

/// <summary>
/// Runs the network once on the batch and hands every unit's output to the ORM builder inside the capture
/// callback, so no feature outlives its unit (spec §2–3). Progress, if wanted, is reported per unit.
/// </summary>
public static class FeatureCapture
{
    /// <param name="onUnitReduced">Called after unit i's output was reduced: (index, count, name).</param>
    public static void Run(IQuantizableModel model, Tensor batch, SearchMode mode, OrthogonalityMatrix orm,
        Action<int, int, string>? onUnitReduced = null)
    {
        IReadOnlyList<QuantUnit> units = model.Units(mode);
        var seen = new bool[units.Count];
        using Tensor output = model.Forward(batch, mode, (unit, feature) =>
        {
            if (unit < 0 || unit >= units.Count)
                throw new InvalidOperationException($"model {model.Name} reported unit {unit}, it has {units.Count}");
            if (feature.Size != (long)batch.Dim(0) * units[unit].FeatureSize)
                throw new InvalidOperationException(
                    $"model {model.Name} unit '{units[unit].Name}' output has {feature.Size} values, expected {batch.Dim(0)}×{units[unit].FeatureSize}");
            orm.Add(unit, feature);
            seen[unit] = true;
            onUnitReduced?.Invoke(unit, units.Count, units[unit].Name);
        });
        batch.Kernels.Synchronize();
        int missing = Array.IndexOf(seen, false);
        if (missing >= 0)
            throw new InvalidOperationException($"model {model.Name} never reported unit '{units[missing].Name}'");
    }
}
