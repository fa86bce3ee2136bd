using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Ompq.Kernels.Ilgpu;

internal readonly struct SoftmaxCrossEntropyArgs
{
    public readonly int Batch;
    public readonly int Classes;

    public SoftmaxCrossEntropyArgs(int batch, int classes)
    {
        Batch = batch; Classes = classes;
    }
}

/// <summary>
/// Softmax cross-entropy, one thread per sample walking its row of logits three times: the maximum, the sum of
/// exp(z − max) (so nothing overflows), then the gradient. A label that is not a class index cannot throw from a
/// kernel: its loss and its gradient row become NaN, which poisons the mean loss visibly. Rows of a few thousand
/// classes keep one thread busy for long; a group per row with tree reductions would be the faster design there.
/// </summary>
internal static class SoftmaxCrossEntropyKernels
{
    public static void Rows(Index1D sample, ArrayView<float> logits, ArrayView<float> labels, ArrayView<float> losses,
        ArrayView<float> dlogits, SoftmaxCrossEntropyArgs p)
    {
        int classes = p.Classes;
        long rowBase = (long)sample.X * classes;
        float label = labels[sample];
        bool valid = label >= 0f && label < classes && label == XMath.Floor(label);
        if (!valid)
        {
            losses[sample] = float.NaN;
            for (int j = 0; j < classes; j++) dlogits[rowBase + j] = float.NaN;
            return;
        }
        int target = (int)label;

        float max = float.NegativeInfinity;
        for (int j = 0; j < classes; j++) max = XMath.Max(max, logits[rowBase + j]);
        float sum = 0;
        for (int j = 0; j < classes; j++) sum += XMath.Exp(logits[rowBase + j] - max);
        // The loss is read before the gradient overwrites the row, so dlogits may alias logits.
        losses[sample] = XMath.Log(sum) - (logits[rowBase + target] - max);

        float invBatch = 1f / p.Batch;
        float invSum = 1f / sum;
        for (int j = 0; j < classes; j++)
        {
            float probability = XMath.Exp(logits[rowBase + j] - max) * invSum;
            dlogits[rowBase + j] = (j == target ? probability - 1f : probability) * invBatch;
        }
    }
}

internal sealed class SoftmaxCrossEntropyLauncher
{
    private readonly IlgpuKernels _owner;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, SoftmaxCrossEntropyArgs> _rows;

    public SoftmaxCrossEntropyLauncher(IlgpuKernels owner)
    {
        _owner = owner;
        _rows = owner.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, SoftmaxCrossEntropyArgs>(
            SoftmaxCrossEntropyKernels.Rows);
    }

    /// <summary>Labels are only checked on the device (see <see cref="SoftmaxCrossEntropyKernels"/>): reading them back would stall the queue.</summary>
    public void SoftmaxCrossEntropy(int batch, int classes, BufferSlice logits, BufferSlice labels, BufferSlice losses, BufferSlice dlogits)
    {
        TrainingArguments.SoftmaxCrossEntropy(batch, classes, logits, labels, losses, dlogits);
        _rows(batch, _owner.View(logits, "logits"), _owner.View(labels, "labels"), _owner.View(losses, "losses"), _owner.View(dlogits, "dlogits"),
            new SoftmaxCrossEntropyArgs(batch, classes));
    }
}
