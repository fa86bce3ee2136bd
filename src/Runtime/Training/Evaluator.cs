using Ompq.Kernels;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Training;

/// <summary>Top-1 accuracy (a fraction) and mean cross-entropy over a labelled set.</summary>
public sealed record EvaluationResult(double Top1, double Loss, int Images, double Seconds);

/// <summary>
/// Evaluates a model on a labelled set through its inference path (batch-norm folded, fused epilogues, weights
/// fake-quantized where <see cref="GraphModel.SetWeightBits"/> says so). Images go in order, in batches.
/// </summary>
public static class Evaluator
{
    public static EvaluationResult Run(GraphModel model, IKernels kernels, ILabelledImages data, int batchSize = 256,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellation = default)
    {
        if (batchSize < 1) throw new InvalidInputException($"batch size must be >= 1, got {batchSize}");
        CheckCompatible(model, data);
        var (c, h, w) = data.ImageShape;
        int perImage = c * h * w;
        int count = data.Count;
        int batch = Math.Min(batchSize, Math.Max(1, count));
        var hostImages = new float[(long)batch * perImage];
        var hostLabels = new int[batch];
        var labelFloats = new float[batch];
        var indices = new int[batch];
        using var input = Tensor.Allocate(kernels, batch, c, h, w);
        using var labels = kernels.Allocate(batch);
        using var loss = new LossHead(kernels);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double lossSum = 0;
        long correct = 0;
        for (int start = 0; start < count; start += batch)
        {
            cancellation.ThrowIfCancellationRequested();
            int n = Math.Min(batch, count - start);
            for (int i = 0; i < n; i++) indices[i] = start + i;
            data.Read(indices.AsSpan(0, n), hostImages.AsSpan(0, n * perImage), hostLabels.AsSpan(0, n));
            for (int i = 0; i < n; i++) labelFloats[i] = hostLabels[i];
            var view = new Tensor(kernels, input.Data.Slice(0, (long)n * perImage), new[] { n, c, h, w }, ownsBuffer: false);
            kernels.Upload(hostImages.AsSpan(0, n * perImage), view.Data);
            kernels.Upload(labelFloats.AsSpan(0, n), labels);
            using var logits = model.Forward(view, SearchMode.Qat);
            var flat = logits.Reshape(n, (int)(logits.Size / n));
            var (sum, right) = loss.Compute(flat, labels.Slice(0, n), hostLabels.AsSpan(0, n));
            lossSum += sum;
            correct += right;
            progress?.Report((start + n, count));
        }
        return new EvaluationResult(count == 0 ? 0 : (double)correct / count, count == 0 ? 0 : lossSum / count, count, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The set's images and classes must fit the model (one line naming both when not).</summary>
    public static void CheckCompatible(GraphModel model, ILabelledImages data)
    {
        var (c, h, w) = data.ImageShape;
        if (c != model.InputShape.Channels)
            throw new InvalidInputException($"{data.Name} has {c}-channel images, model '{model.Name}' expects {model.InputShape.Channels}");
        int outputs = (int)HostTensor.ElementCount(model.Graph.InferShapes(new[] { c, h, w }, model.Parameters)[model.Graph.OutputId]);
        if (outputs != data.Classes)
            throw new InvalidInputException($"{data.Name} has {data.Classes} classes, model '{model.Name}' outputs {outputs}");
    }
}
