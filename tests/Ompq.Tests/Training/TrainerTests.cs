using Ompq.Kernels.Cpu;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Training;
using Ompq.Tests.Cli;

namespace Ompq.Tests.Training;

/// <summary>The training loop: it learns, it is deterministic, and a resumed run ends bit-identical to an uninterrupted one.</summary>
public sealed class TrainerTests
{
    private static readonly TrainingOptions Options = new()
    {
        Epochs = 2, BatchSize = 8, Lr = 0.05f, Momentum = 0.9f, WeightDecay = 5e-4f, Seed = 11, CheckpointEverySteps = 2,
    };

    private static GraphModel NewModel() => ModelZoo.Create("resnet20", 12, seed: 1, classes: 4);

    private static SyntheticLabelledImages Data() => new(44, 4, 12, seed: 2);

    [Fact]
    public void LossFallsOnALearnableSet()
    {
        using var kernels = new CpuKernels();
        using var model = NewModel();
        using var trainer = new Trainer(model, kernels, Data(), Options with { Epochs = 6, Lr = 0.1f });
        var state = trainer.Run(new TrainingState());
        Assert.Equal(6, state.History.Count);
        Assert.True(state.History[^1].TrainLoss < 0.5 * state.History[0].TrainLoss,
            $"loss {state.History[0].TrainLoss:F4} -> {state.History[^1].TrainLoss:F4}");
    }

    [Fact]
    public void ResumedRunEndsBitIdentical()
    {
        string dir = CliRunner.TempDir();
        float[] uninterrupted = TrainAll();

        // 44 images in batches of 8: 6 batches per epoch (the last holds 4). Interrupt after step 9, resume from the
        // last checkpoint: step 8, the second batch of the second epoch.
        string path = Path.Combine(dir, "run.safetensors");
        using (var kernels = new CpuKernels())
        using (var model = NewModel())
        using (var trainer = new Trainer(model, kernels, Data(), Options))
        {
            using var stop = new CancellationTokenSource();
            int steps = 0;
            var progress = new Progress(() => { if (++steps == 9) stop.Cancel(); });
            Assert.Throws<OperationCanceledException>(() =>
                trainer.Run(new TrainingState(), s => TrainingCheckpoint.Capture(trainer, "synthetic", s).Save(path), progress, cancellation: stop.Token));
        }
        var checkpoint = TrainingCheckpoint.Load(path);
        Assert.Equal(8, checkpoint.State.Step);
        Assert.Equal(1, checkpoint.State.Epoch);
        Assert.Equal(2, checkpoint.State.Batch);
        using (var kernels = new CpuKernels())
        using (var model = checkpoint.CreateModel(path))
        using (var trainer = new Trainer(model, kernels, Data(), checkpoint.Options))
        {
            trainer.Restore(checkpoint);
            var final = trainer.Run(checkpoint.State);
            Assert.Equal(12, final.Step);
            Assert.Equal(uninterrupted, Flatten(model));
        }
    }

    [Fact]
    public void TwoRunsGiveBitIdenticalWeights() => Assert.Equal(TrainAll(), TrainAll());

    private static float[] TrainAll()
    {
        using var kernels = new CpuKernels();
        using var model = NewModel();
        using var trainer = new Trainer(model, kernels, Data(), Options);
        trainer.Run(new TrainingState());
        return Flatten(model);
    }

    private static float[] Flatten(GraphModel model) => model.Parameters.Names.SelectMany(n => model.Parameters[n].Data).ToArray();

    private sealed class Progress(Action onStep) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => onStep();
    }
}
