using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Tensors;
using Ompq.Runtime.Training;

namespace Ompq.Runtime.Search;

/// <summary>
/// Runs the network once on the batch and hands every unit's output to the ORM builder inside the capture
/// callback, so no feature outlives its unit (spec §2–3). Progress, if wanted, is reported per unit.
/// With <see cref="BatchNormMode.Batch"/> the forward is the training executor's (batch-norm unfused, batch
/// statistics); its parameters are a device copy that is dropped afterwards, so the model is not changed.
/// </summary>
public static class FeatureCapture
{
    /// <param name="onUnitReduced">Called after unit i's output was reduced: (index, count, name).</param>
    public static void Run(IQuantizableModel model, Tensor batch, SearchMode mode, OrthogonalityMatrix orm,
        Action<int, int, string>? onUnitReduced = null, BatchNormMode batchNorm = BatchNormMode.Eval)
    {
        IReadOnlyList<QuantUnit> units = model.Units(mode);
        var seen = new bool[units.Count];
        void Reduce(int unit, Tensor feature)
        {
            if (unit < 0 || unit >= units.Count)
                throw new InvalidOperationException($"model {model.Name} reported unit {unit}, it has {units.Count}");
            if (feature.Size != (long)batch.Dim(0) * units[unit].FeatureSize)
                throw new InvalidOperationException(
                    $"model {model.Name} unit '{units[unit].Name}' output has {feature.Size} values, expected {batch.Dim(0)}×{units[unit].FeatureSize}");
            orm.Add(unit, feature);
            seen[unit] = true;
            onUnitReduced?.Invoke(unit, units.Count, units[unit].Name);
        }

        if (batchNorm == BatchNormMode.Eval)
        {
            using Tensor output = model.Forward(batch, mode, Reduce);
        }
        else
        {
            if (model is not GraphModel graph)
                throw new InvalidInputException($"model {model.Name} cannot run batch-norm with batch statistics; expected a graph model (zoo or ONNX)");
            using var executor = new TrainingExecutor(graph, batch.Kernels) { Training = true };
            executor.Forward(batch, (value, feature) =>
            {
                foreach (int unit in graph.UnitsCapturedAt(mode, value)) Reduce(unit, feature);
            });
            executor.EndStep();
        }
        batch.Kernels.Synchronize();
        int missing = Array.IndexOf(seen, false);
        if (missing >= 0)
            throw new InvalidOperationException($"model {model.Name} never reported unit '{units[missing].Name}'");
    }
}
