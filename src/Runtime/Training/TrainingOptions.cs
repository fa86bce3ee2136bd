namespace Ompq.Runtime.Training;

/// <summary>Everything that decides a training run's result (stored in checkpoints; a resume must use the same).</summary>
public sealed record TrainingOptions
{
    public int Epochs { get; init; } = 1;
    public int BatchSize { get; init; } = 128;
    public float Lr { get; init; } = 0.1f;
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Sgd;
    public float Momentum { get; init; } = 0.9f;
    public float WeightDecay { get; init; } = 5e-4f;
    public bool Nesterov { get; init; }
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Cosine;
    public int WarmupEpochs { get; init; }

    /// <summary>Epochs after which the step schedule multiplies the rate by <see cref="Gamma"/>.</summary>
    public IReadOnlyList<int> MilestoneEpochs { get; init; } = Array.Empty<int>();
    public float Gamma { get; init; } = 0.1f;

    /// <summary>Seed of the data order and the augmentation (the initial weights come from the model's own seed).</summary>
    public int Seed { get; init; }

    /// <summary>Train on the first N images only (quick runs); null for all.</summary>
    public int? Limit { get; init; }

    /// <summary>Zero padding of the random crop (0 = no crop).</summary>
    public int CropPadding { get; init; }
    public bool HorizontalFlip { get; init; }

    /// <summary>Also checkpoint every N optimizer steps (0: only at the end of each epoch).</summary>
    public int CheckpointEverySteps { get; init; }

    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new InvalidInputException(message);
        }
        Require(Epochs >= 1, $"--epochs must be >= 1, got {Epochs}");
        Require(BatchSize >= 2, $"--batch must be >= 2 (batch-norm needs two images), got {BatchSize}");
        Require(Lr > 0 && float.IsFinite(Lr), $"--lr must be a positive number, got {Lr}");
        Require(Momentum >= 0 && Momentum < 1, $"--momentum must be in [0, 1), got {Momentum}");
        Require(WeightDecay >= 0 && float.IsFinite(WeightDecay), $"--wd must be >= 0, got {WeightDecay}");
        Require(!Nesterov || Momentum > 0, "--nesterov needs --momentum > 0");
        Require(WarmupEpochs >= 0 && WarmupEpochs < Epochs, $"--warmup must be in [0, epochs), got {WarmupEpochs}");
        Require(Limit is null or >= 2, $"--limit must be >= 2, got {Limit}");
        Require(CropPadding >= 0 && CropPadding <= 16, $"--crop-padding must be in 0..16, got {CropPadding}");
        Require(CheckpointEverySteps >= 0, $"--checkpoint-steps must be >= 0, got {CheckpointEverySteps}");
        Require(MilestoneEpochs.All(m => m > 0 && m < Epochs), $"--milestones must lie in 1..{Epochs - 1}");
    }
}

/// <summary>Where a run stands: the next batch to train, and what each finished epoch measured.</summary>
public sealed record TrainingState
{
    /// <summary>Epoch (0-based) of the next batch.</summary>
    public int Epoch { get; init; }

    /// <summary>Batch index within <see cref="Epoch"/> of the next batch.</summary>
    public int Batch { get; init; }

    /// <summary>Optimizer steps taken so far.</summary>
    public long Step { get; init; }

    public IReadOnlyList<EpochSummary> History { get; init; } = Array.Empty<EpochSummary>();

    /// <summary>Loss and correct counts of the epoch in progress (so a mid-epoch resume reports the whole epoch).</summary>
    public double EpochLossSum { get; init; }
    public long EpochCorrect { get; init; }
    public long EpochImages { get; init; }
    public double EpochSeconds { get; init; }
}

/// <summary>One finished epoch: training loss/accuracy (running, over the epoch's batches) and the test result when measured.</summary>
public sealed record EpochSummary(int Epoch, double TrainLoss, double TrainTop1, double? TestLoss, double? TestTop1, double Seconds, double ImagesPerSecond);

/// <summary>Progress reported after every step (the library never prints; the CLI draws it).</summary>
public readonly record struct TrainingProgress(int Epoch, int Epochs, int Batch, int Batches, long Step, float Lr,
    double Loss, double Top1, double ImagesPerSecond);
