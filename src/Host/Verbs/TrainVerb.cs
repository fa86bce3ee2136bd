using System.Globalization;
using System.Text.Json;
using CommandLine;
using CommandLine.Text;
using Ompq.Host.Data;
using Ompq.Host.Plots;
using Ompq.Host.Options;
using Ompq.Kernels;
using Ompq.Runtime;
using Ompq.Runtime.Device;
using Ompq.Runtime.Io;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Training;

namespace Ompq.Host.Verbs;

[Verb("train", HelpText = "Train a zoo model on a labelled dataset with this engine's kernels; checkpoints every epoch, --resume continues exactly.")]
public sealed class TrainVerb : IVerb
{
    [Usage(ApplicationAlias = "ompq")]
    public static IEnumerable<Example> Examples =>
    [
        new("The committed float baseline: resnet20 on Fashion-MNIST, 10 epochs, with the loss/accuracy curves in out/",
            new TrainVerb { Data = "fashion-mnist", Epochs = 10, CropPadding = 2, Flip = true, CheckpointSteps = 100, Out = "models/resnet20-fashion-mnist.safetensors", Plots = "out" }),
        new("Continue that run after it was stopped", new TrainVerb { Data = "fashion-mnist", Epochs = 10, CropPadding = 2, Flip = true, CheckpointSteps = 100, Out = "models/resnet20-fashion-mnist.safetensors", Resume = true }),
    ];

    [Option("model", Default = "resnet20", HelpText = $"Zoo model: {HelpScreen.ModelNames} (resnet20: 28×28, 1 channel).")]
    public string Model { get; set; } = "resnet20";

    [Option("data", Required = true, HelpText = "fashion-mnist | mnist | <folder with one subfolder per class>.")]
    public string Data { get; set; } = "";

    [Option("data-dir", HelpText = "Folder of the IDX files for fashion-mnist / mnist.")]
    public string? DataDir { get; set; }

    [Option("input-size", HelpText = "Square input side (default: the model's; image folders are resized to it).")]
    public int? InputSize { get; set; }

    [Option("epochs", Required = true, HelpText = "Epochs to train.")]
    public int Epochs { get; set; }

    [Option("batch", Default = 128, HelpText = "Images per step.")]
    public int Batch { get; set; }

    [Option("lr", Default = 0.1f, HelpText = "Peak learning rate.")]
    public float Lr { get; set; }

    [Option("optimizer", HelpText = "The update rule.")]
    public OptimizerKind Optimizer { get; set; } = OptimizerKind.Sgd;

    [Option("momentum", Default = 0.9f, HelpText = "SGD momentum (0 = none).")]
    public float Momentum { get; set; }

    [Option("nesterov", HelpText = "Nesterov momentum (SGD).")]
    public bool Nesterov { get; set; }

    [Option("wd", Default = 5e-4f, HelpText = "Weight decay (L2 for sgd/adam, decoupled for adamw).")]
    public float WeightDecay { get; set; }

    [Option("schedule", HelpText = "Learning-rate schedule after the warm-up.")]
    public ScheduleKind Schedule { get; set; } = ScheduleKind.Cosine;

    [Option("warmup", Default = 0, HelpText = "Epochs of linear learning-rate warm-up.")]
    public int Warmup { get; set; }

    [Option("milestones", HelpText = "Step schedule: comma-separated epochs after which lr is multiplied by --gamma.")]
    public string? Milestones { get; set; }

    [Option("gamma", Default = 0.1f, HelpText = "Step schedule factor.")]
    public float Gamma { get; set; }

    [Option("crop-padding", Default = 0, HelpText = "Random crop after zero padding by this many pixels (0 = off).")]
    public int CropPadding { get; set; }

    [Option("flip", HelpText = "Random horizontal flips.")]
    public bool Flip { get; set; }

    [Option("seed", Default = 0, HelpText = "Seed of the initial weights, the data order and the augmentation.")]
    public int Seed { get; set; }

    [Option("limit", HelpText = "Train on the first N training images only.")]
    public int? Limit { get; set; }

    [Option("test-limit", HelpText = "Evaluate on the first N test images only (default all).")]
    public int? TestLimit { get; set; }

    [Option("no-test", HelpText = "Skip the test-set evaluation after each epoch.")]
    public bool NoTest { get; set; }

    [Option("checkpoint-steps", Default = 0, HelpText = "Also checkpoint every N steps (0: at the end of each epoch only).")]
    public int CheckpointSteps { get; set; }

    [Option("out", Required = true, HelpText = "Checkpoint file (.safetensors), rewritten atomically at least every epoch.")]
    public string Out { get; set; } = "";

    [Option("resume", HelpText = "Continue the run whose checkpoint is --out (same options); ends bit-identical to an uninterrupted run on cpu.")]
    public bool Resume { get; set; }

    [Option("device", Default = "cpu", HelpText = "Backend id (see `ompq devices`).")]
    public string Device { get; set; } = "cpu";

    [Option("threads", Default = 0, HelpText = "CPU backend threads (0 = all cores).")]
    public int Threads { get; set; }

    [Option("plots", HelpText = "Write the loss and top-1 curves per epoch (training-loss.png/.svg, training-top1.png/.svg) into this folder.")]
    public string? Plots { get; set; }

    [Option("json", HelpText = "Print a JSON summary on stdout instead of the table.")]
    public bool Json { get; set; }

    [Option("verbose", HelpText = "Show stack traces of errors.")]
    public bool Verbose { get; set; }

    public int Execute(CliContext context)
    {
        if (!Resume) ModelZoo.Resolve(Model); // an unknown model fails before any data is read
        var options = BuildOptions();
        options.Validate();
        AtomicFile.CheckWritable(Out);
        PlotFiles.CheckFolder(Plots, "--plots");
        TrainingCheckpoint? resumeFrom = null;
        if (Resume)
        {
            if (!File.Exists(Out)) throw new InvalidInputException($"--resume: no checkpoint at '{Out}' to continue; run without --resume to start one");
            resumeFrom = TrainingCheckpoint.Load(Out);
            CheckSameRun(resumeFrom, options);
        }
        else if (File.Exists(Out))
        {
            throw new InvalidInputException($"--out '{Out}' already exists; expected a new path, or --resume to continue that run");
        }

        using IKernels kernels = BackendRegistry.Create(Device, Threads);
        var train = LabelledDataSets.Open(Data, DataSplit.Train, DataDir, InputSize ?? LabelledDataSets.DefaultFolderImageSize);
        var test = NoTest ? null : LabelledDataSets.Open(Data, DataSplit.Test, DataDir, InputSize ?? LabelledDataSets.DefaultFolderImageSize);
        var (channels, size, _) = train.ImageShape;
        if (InputSize is { } requested && requested != size)
            throw new InvalidInputException($"--input-size {requested} does not match {train.Name}'s {size}×{size} images (only image folders are resized)");
        using GraphModel model = resumeFrom is not null
            ? resumeFrom.CreateModel(Out)
            : ModelZoo.Create(Model, InputSize ?? size, Seed, train.Classes, channels);
        if (resumeFrom is not null && resumeFrom.Dataset != Data)
            throw new InvalidInputException($"--resume: checkpoint '{Out}' was trained on --data {resumeFrom.Dataset}, this command gives {Data}");
        var testSet = test is null ? null : (TestLimit is { } tl ? LabelledSubset.First(test, tl) : test);

        using var trainer = new Trainer(model, kernels, train, options, CropFlipAugmentation.For(options, train.PaddingValues));
        var state = new TrainingState();
        if (resumeFrom is not null)
        {
            trainer.Restore(resumeFrom);
            state = resumeFrom.State;
        }
        TrainingRun.Execute(context, trainer, model, kernels, train, testSet, state, Data, Out, Json, Plots);
        return Cli.Ok;
    }

    private TrainingOptions BuildOptions() => new()
    {
        Epochs = Epochs,
        BatchSize = Batch,
        Lr = Lr,
        Optimizer = Optimizer,
        Momentum = Momentum,
        WeightDecay = WeightDecay,
        Nesterov = Nesterov,
        Schedule = Schedule,
        WarmupEpochs = Warmup,
        MilestoneEpochs = ParseMilestones(Milestones),
        Gamma = Gamma,
        Seed = Seed,
        Limit = Limit,
        CropPadding = CropPadding,
        HorizontalFlip = Flip,
        CheckpointEverySteps = CheckpointSteps,
    };

    private static int[] ParseMilestones(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Array.Empty<int>();
        return text.Split(',').Select(part => int.TryParse(part.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int e)
            ? e
            : throw new InvalidInputException($"--milestones '{text}' is invalid: expected comma-separated epoch numbers like 5,8")).ToArray();
    }

    /// <summary>A resumed run must be the same run: same model, seed and options, or it could not end bit-identical.</summary>
    private void CheckSameRun(TrainingCheckpoint checkpoint, TrainingOptions options)
    {
        string want = ModelZoo.Resolve(Model);
        if ((ModelZoo.TryResolve(checkpoint.Model.Name, out string savedModel) ? savedModel : checkpoint.Model.Name) != want)
            throw new InvalidInputException($"--resume: checkpoint '{Out}' holds model '{checkpoint.Model.Name}', this command says '{Model}'");
        TrainingOptionsMatch.Check(checkpoint, options, Out);
    }
}
