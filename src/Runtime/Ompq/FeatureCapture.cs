using Ompq.Kernels;
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
/// With fewer images per forward than the batch holds (<see cref="SearchMemory"/> decides), the batch is split into
/// chunks of half that many: a first pass over the chunks gathers each unit's column means (and keeps the rows of
/// feature-form units), then every pair of chunks runs as one forward whose centred Gram fills its four blocks of the
/// n×n Gram. A centred Gram is no sum over images, but its blocks are products of chunk rows centred with the batch
/// mean, so the matrix equals the one-forward matrix up to float rounding, at m·n image-forwards for m chunks.
/// </summary>
public static class FeatureCapture
{
    /// <param name="onUnitReduced">Called after unit i's output was reduced: (index, count, name).</param>
    /// <param name="imagesPerForward">Images in one forward (an even number below the batch size: chunked); null: all.</param>
    public static void Run(IQuantizableModel model, Tensor batch, SearchMode mode, OrthogonalityMatrix orm,
        Action<int, int, string>? onUnitReduced = null, BatchNormMode batchNorm = BatchNormMode.Eval, int? imagesPerForward = null)
    {
        if (imagesPerForward is { } p && p < batch.Dim(0))
        {
            if (batchNorm != BatchNormMode.Eval)
                throw new InvalidInputException("batch-norm on batch statistics needs the whole batch in one forward; expected eval batch-norm for a chunked search");
            RunChunked(model, batch, mode, orm, p, onUnitReduced);
            return;
        }
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

    private static void RunChunked(IQuantizableModel model, Tensor batch, SearchMode mode, OrthogonalityMatrix orm, int imagesPerForward,
        Action<int, int, string>? onUnitReduced)
    {
        if (imagesPerForward < 4 || imagesPerForward % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(imagesPerForward), $"a chunked forward takes an even number of images, at least 4; got {imagesPerForward}");
        IReadOnlyList<QuantUnit> units = model.Units(mode);
        int n = batch.Dim(0), chunk = imagesPerForward / 2;
        long imageFloats = batch.Size / n;
        int[] imageShape = batch.Shape.Skip(1).ToArray();
        Tensor Rows(BufferSlice data, int rows) => new(batch.Kernels, data, [rows, .. imageShape], ownsBuffer: false);

        // Pass 1: column sums (and feature-form rows), in forwards of imagesPerForward images.
        for (int first = 0; first < n; first += imagesPerForward)
        {
            int rows = Math.Min(imagesPerForward, n - first);
            using var part = Rows(batch.Data.Slice(first * imageFloats, rows * imageFloats), rows);
            using Tensor output = model.Forward(part, mode, (unit, feature) => orm.AddChunk(unit, feature, first));
        }

        // Pass 2: every pair of chunks, so that every block of each n×n Gram is filled.
        var chunks = Enumerable.Range(0, (n + chunk - 1) / chunk).Select(c => (First: c * chunk, Rows: Math.Min(chunk, n - c * chunk))).ToArray();
        using var pair = batch.Kernels.Allocate(imagesPerForward * imageFloats);
        var seen = new bool[units.Count];
        for (int i = 0; i < chunks.Length; i++)
        for (int j = i + 1; j < chunks.Length; j++)
        {
            var (a, b) = (chunks[i], chunks[j]);
            batch.Kernels.Copy(batch.Data.Slice(a.First * imageFloats, a.Rows * imageFloats), pair.Slice(0, a.Rows * imageFloats));
            batch.Kernels.Copy(batch.Data.Slice(b.First * imageFloats, b.Rows * imageFloats), pair.Slice(a.Rows * imageFloats, b.Rows * imageFloats));
            using var input = Rows(pair.Slice(0, (a.Rows + b.Rows) * imageFloats), a.Rows + b.Rows);
            using Tensor output = model.Forward(input, mode, (unit, feature) =>
            {
                orm.AddChunkPair(unit, feature, a, b);
                seen[unit] = true;
                if (j == chunks.Length - 1 && i == chunks.Length - 2) onUnitReduced?.Invoke(unit, units.Count, units[unit].Name);
            });
        }
        orm.FinishChunks();
        batch.Kernels.Synchronize();
        int missing = Array.IndexOf(seen, false);
        if (missing >= 0)
            throw new InvalidOperationException($"model {model.Name} never reported unit '{units[missing].Name}'");
    }
}
