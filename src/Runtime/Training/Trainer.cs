using System.Diagnostics;
using Ompq.Kernels;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Training;

/// <summary>A run stopped because the loss stopped being a finite number; nothing after the last good checkpoint is kept.</summary>
public sealed class TrainingDivergedException(string message) : InvalidInputException(message);

/// <summary>
/// Trains a model on a labelled set: seeded batches (<see cref="BatchOrder"/>), optional augmentation, forward and
/// backward through a <see cref="TrainingExecutor"/>, softmax cross-entropy, one optimizer update per batch at the
/// scheduled rate. Parameters and optimizer state stay on the device; the host sees the per-image losses and logits
/// of each batch. Checkpoints are handed to the caller (which writes them) at the end of every epoch and, when asked,
/// every N steps. Deterministic on backends with deterministic kernels: a run resumed from any checkpoint ends with
/// the same weights as an uninterrupted one.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly GraphModel _model;
    private readonly ILabelledImages _data;
    private readonly IBatchAugmentation? _augmentation;
    private readonly TrainingExecutor _executor;
    private readonly LossHead _loss;
    private readonly int _count;

    public Trainer(GraphModel model, IKernels kernels, ILabelledImages data, TrainingOptions options, IBatchAugmentation? augmentation = null)
    {
        options.Validate();
        Evaluator.CheckCompatible(model, data);
        _model = model;
        _data = data;
        _augmentation = augmentation;
        Options = options;
        _count = Math.Min(options.Limit ?? data.Count, data.Count);
        if (_count < 2) throw new InvalidInputException($"{data.Name} holds {data.Count} images; training needs at least 2");
        BatchesPerEpoch = BatchOrder.Batches(_count, Math.Min(options.BatchSize, _count));
        long total = (long)BatchesPerEpoch * options.Epochs;
        Schedule = new LearningRateSchedule(options.Schedule, options.Lr, total, (long)BatchesPerEpoch * options.WarmupEpochs,
            options.MilestoneEpochs.Select(e => (long)e * BatchesPerEpoch).ToArray());
        Optimizer = new Optimizer(options.Optimizer, options.Momentum, options.WeightDecay, options.Nesterov);
        _executor = new TrainingExecutor(model, kernels);
        _loss = new LossHead(kernels);
    }

    public TrainingOptions Options { get; }
    public int BatchesPerEpoch { get; }
    public LearningRateSchedule Schedule { get; }
    public Optimizer Optimizer { get; }
    public TrainingExecutor Executor => _executor;
    public IKernels Kernels => _executor.Kernels;

    /// <summary>Puts a checkpoint's optimizer state on the device (its parameters must already be in the model's store).</summary>
    public void Restore(TrainingCheckpoint checkpoint)
    {
        _executor.Parameters.CopyFromHost(_model.Parameters);
        Optimizer.EnsureSlots(_executor.Parameters);
        checkpoint.RestoreOptimizer(Optimizer, _executor.Parameters);
        _executor.ActivationRanges.Restore(checkpoint.ActivationRanges);
    }

    /// <summary>
    /// Forward passes without updates over the first <paramref name="batches"/> batches of epoch 1's order (no
    /// augmentation), so that quantized inputs start from observed ranges rather than from the first training batch
    /// alone. A model with unfolded batch-norm also moves its running statistics here; quantization-aware training
    /// folds it first.
    /// </summary>
    public void Calibrate(int batches)
    {
        if (batches <= 0) return;
        var (c, h, w) = _data.ImageShape;
        int perImage = c * h * w;
        int batchSize = Math.Min(Options.BatchSize, _count);
        var hostImages = new float[(long)batchSize * perImage];
        var hostLabels = new int[batchSize];
        using var input = Tensor.Allocate(Kernels, batchSize, c, h, w);
        var order = BatchOrder.Permutation(Options.Seed, 0, _count);
        _executor.Training = true;
        for (int batch = 0; batch < Math.Min(batches, BatchesPerEpoch); batch++)
        {
            int start = batch * batchSize, n = Math.Min(batchSize, _count - start);
            _data.Read(order.AsSpan(start, n), hostImages.AsSpan(0, n * perImage), hostLabels.AsSpan(0, n));
            var x = new Tensor(Kernels, input.Data.Slice(0, (long)n * perImage), new[] { n, c, h, w }, ownsBuffer: false);
            Kernels.Upload(hostImages.AsSpan(0, n * perImage), x.Data);
            _executor.Forward(x);
            _executor.EndStep();
        }
    }

    /// <summary>
    /// Trains from <paramref name="state"/> to the last epoch. <paramref name="evaluate"/> (optional) runs after each epoch
    /// on the model with the epoch's weights copied back (e.g. the test set through <see cref="Evaluator"/>).
    /// </summary>
    public TrainingState Run(TrainingState state, Action<TrainingState>? checkpoint = null, IProgress<TrainingProgress>? progress = null,
        Func<EvaluationResult>? evaluate = null, CancellationToken cancellation = default)
    {
        var (c, h, w) = _data.ImageShape;
        int perImage = c * h * w;
        int batchSize = Math.Min(Options.BatchSize, _count);
        var hostImages = new float[(long)batchSize * perImage];
        var hostLabels = new int[batchSize];
        var labelFloats = new float[batchSize];
        using var input = Tensor.Allocate(Kernels, batchSize, c, h, w);
        using var labels = Kernels.Allocate(batchSize);
        _executor.Training = true;

        while (state.Epoch < Options.Epochs)
        {
            int epoch = state.Epoch;
            var order = BatchOrder.Permutation(Options.Seed, epoch, _count);
            var clock = Stopwatch.StartNew();
            double lossSum = state.EpochLossSum, secondsBefore = state.EpochSeconds;
            long correct = state.EpochCorrect, images = state.EpochImages, imagesThisSession = 0;
            for (int batch = state.Batch; batch < BatchesPerEpoch; batch++)
            {
                cancellation.ThrowIfCancellationRequested();
                int start = batch * batchSize, n = Math.Min(batchSize, _count - start);
                var indices = order.AsSpan(start, n);
                _data.Read(indices, hostImages.AsSpan(0, n * perImage), hostLabels.AsSpan(0, n));
                _augmentation?.Apply(hostImages.AsSpan(0, n * perImage), n, (c, h, w), BatchOrder.ForBatch(Options.Seed, epoch, batch));
                for (int i = 0; i < n; i++) labelFloats[i] = hostLabels[i];
                var x = new Tensor(Kernels, input.Data.Slice(0, (long)n * perImage), new[] { n, c, h, w }, ownsBuffer: false);
                Kernels.Upload(hostImages.AsSpan(0, n * perImage), x.Data);
                Kernels.Upload(labelFloats.AsSpan(0, n), labels);

                var logits = _executor.Forward(x);
                var flat = logits.Reshape(n, (int)(logits.Size / n));
                var (sum, right) = _loss.Compute(flat, labels.Slice(0, n), hostLabels.AsSpan(0, n));
                if (!double.IsFinite(sum))
                    throw new TrainingDivergedException(
                        $"training diverged: the loss became {sum / n} at step {state.Step + 1} (epoch {epoch + 1}, batch {batch + 1}); stopped before updating the weights, no checkpoint written for it (try a smaller --lr)");
                _executor.Backward(_loss.Gradient.Reshape(logits.Shape));
                float lr = Schedule.At(state.Step);
                Optimizer.Step(_executor.Parameters, lr);
                _executor.EndStep();

                lossSum += sum;
                correct += right;
                images += n;
                imagesThisSession += n;
                double seconds = secondsBefore + clock.Elapsed.TotalSeconds;
                state = state with
                {
                    Batch = batch + 1, Step = state.Step + 1, EpochLossSum = lossSum, EpochCorrect = correct, EpochImages = images,
                    EpochSeconds = seconds,
                };
                progress?.Report(new TrainingProgress(epoch, Options.Epochs, batch + 1, BatchesPerEpoch, state.Step, lr,
                    lossSum / images, (double)correct / images, imagesThisSession / Math.Max(1e-9, clock.Elapsed.TotalSeconds)));
                if (Options.CheckpointEverySteps > 0 && state.Step % Options.CheckpointEverySteps == 0 && batch + 1 < BatchesPerEpoch)
                    checkpoint?.Invoke(state);
            }

            double epochSeconds = secondsBefore + clock.Elapsed.TotalSeconds;
            EvaluationResult? test = null;
            if (evaluate is not null)
            {
                _executor.CopyParametersToModel();
                test = evaluate();
            }
            var summary = new EpochSummary(epoch + 1, lossSum / Math.Max(1, images), (double)correct / Math.Max(1, images),
                test?.Loss, test?.Top1, epochSeconds, images / Math.Max(1e-9, epochSeconds));
            state = new TrainingState { Epoch = epoch + 1, Batch = 0, Step = state.Step, History = state.History.Append(summary).ToArray() };
            checkpoint?.Invoke(state);
        }
        _executor.CopyParametersToModel();
        return state;
    }

    public void Dispose()
    {
        _loss.Dispose();
        _executor.Dispose();
    }
}
