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
    public void NonFiniteLossStopsBeforeUpdatingAndNamesTheStep()
    {
        using var kernels = new CpuKernels();
        using var model = NewModel();
        var poisoned = new PoisonedImages(Data(), poisonFrom: 16);
        using var trainer = new Trainer(model, kernels, poisoned, Options with { Epochs = 1, Seed = 0 });
        var order = BatchOrder.Permutation(0, 0, 44);
        int bad = Enumerable.Range(0, 6).First(b => order.Skip(b * 8).Take(8).Any(i => i >= 16));
        var before = FlattenTrainable(model);
        var checkpoints = 0;
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Run(new TrainingState(), _ => checkpoints++));
        Assert.Contains($"at step {bad + 1} (epoch 1, batch {bad + 1})", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(bad / 2, checkpoints);
        // The failing forward has already folded NaN into the running statistics (as torch's would); the weights,
        // which the update would have changed, are untouched and finite.
        trainer.Executor.CopyParametersToModel();
        if (bad == 0) Assert.Equal(before, FlattenTrainable(model));
        Assert.All(FlattenTrainable(model), v => Assert.True(float.IsFinite(v)));
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

    private static float[] FlattenTrainable(GraphModel model)
        => model.Graph.Nodes.SelectMany(n => n.TrainableParameterNames).SelectMany(n => model.Parameters[n].Data).ToArray();

    private static float[] Flatten(GraphModel model) => model.Parameters.Names.SelectMany(n => model.Parameters[n].Data).ToArray();

    /// <summary>The source with a NaN pixel in every image from index <c>poisonFrom</c> on.</summary>
    private sealed class PoisonedImages(ILabelledImages source, int poisonFrom) : ILabelledImages
    {
        public string Name => "poisoned";
        public int Count => source.Count;
        public int Classes => source.Classes;
        public (int Channels, int Height, int Width) ImageShape => source.ImageShape;

        public void Read(ReadOnlySpan<int> indices, Span<float> images, Span<int> labels)
        {
            source.Read(indices, images, labels);
            int per = images.Length / indices.Length;
            for (int i = 0; i < indices.Length; i++)
                if (indices[i] >= poisonFrom) images[i * per] = float.NaN;
        }
    }

    private sealed class Progress(Action onStep) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => onStep();
    }
}
