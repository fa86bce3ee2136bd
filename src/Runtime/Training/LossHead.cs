using Ompq.Kernels;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Training;

/// <summary>
/// Softmax cross-entropy over a batch of logits on the device, with the gradient for the backward. Only the
/// per-image losses and the logits (batch × classes floats) come back to the host, for the loss and top-1.
/// </summary>
internal sealed class LossHead : IDisposable
{
    private readonly IKernels _kernels;
    private DeviceBuffer? _losses, _gradient;
    private float[] _hostLosses = Array.Empty<float>(), _hostLogits = Array.Empty<float>();

    public LossHead(IKernels kernels) => _kernels = kernels;

    /// <summary>Mean-reduced loss gradient of the last <see cref="Compute"/> (batch × classes).</summary>
    public Tensor Gradient { get; private set; } = null!;

    /// <returns>The sum of the per-image losses (double, in image order) and the number of correct top-1 predictions.</returns>
    public (double LossSum, int Correct) Compute(Tensor logits, BufferSlice labels, ReadOnlySpan<int> hostLabels)
    {
        if (logits.Rank != 2) throw new InvalidInputException($"the loss needs batch × classes logits, got [{string.Join("×", logits.Shape)}]");
        int batch = logits.Dim(0), classes = logits.Dim(1);
        Ensure(ref _losses, batch);
        Ensure(ref _gradient, logits.Size);
        _kernels.SoftmaxCrossEntropy(batch, classes, logits.Data, labels, _losses!.Slice(0, batch), _gradient!.Slice(0, logits.Size));
        Gradient = new Tensor(_kernels, _gradient.Slice(0, logits.Size), logits.Shape, ownsBuffer: false);
        if (_hostLosses.Length < batch) _hostLosses = new float[batch];
        if (_hostLogits.Length < logits.Size) _hostLogits = new float[logits.Size];
        _kernels.Download(_losses.Slice(0, batch), _hostLosses);
        _kernels.Download(logits.Data, _hostLogits);
        double sum = 0;
        int correct = 0;
        for (int i = 0; i < batch; i++)
        {
            sum += _hostLosses[i];
            if (ArgMax(_hostLogits.AsSpan(i * classes, classes)) == hostLabels[i]) correct++;
        }
        return (sum, correct);
    }

    /// <summary>First index of the largest value (NaN never wins), as torch.argmax on finite logits.</summary>
    internal static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int c = 1; c < row.Length; c++) if (row[c] > row[best]) best = c;
        return best;
    }

    private void Ensure(ref DeviceBuffer? buffer, long length)
    {
        if (buffer is not null && buffer.Length >= length) return;
        buffer?.Dispose();
        buffer = _kernels.Allocate(length);
    }

    public void Dispose()
    {
        _losses?.Dispose();
        _gradient?.Dispose();
    }
}
