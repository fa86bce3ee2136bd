using CommandLine;
using CommandLine.Text;
using Ompq.Host.Data;
using Ompq.Host.Plots;
using Ompq.Kernels;
using Ompq.Runtime;
using Ompq.Runtime.Device;
using Ompq.Runtime.Io;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Quantization;
using Ompq.Runtime.Training;

namespace Ompq.Host.Verbs;

/// <summary>
/// Quantization-aware fine-tuning of a float checkpoint (spec §8): batch-norm folded with its statistics frozen,
/// weights fake-quantized per output channel at the searched or a uniform width, inputs of every quantized layer
/// fake-quantized per tensor on ranges tracked by moving averages, straight-through gradients, SGD with a cosine
/// schedule. The checkpoint records the folding, the bits and the ranges, so `ompq eval` evaluates what was trained.
/// </summary>
[Verb("qat", HelpText = "Quantization-aware fine-tuning of a float checkpoint (bits from a search report or uniform; BN folded; 8-bit activations); `ompq eval` reads the result.")]
public sealed class QatVerb : IVerb
{
    [Usage(ApplicationAlias = "ompq")]
    public static IEnumerable<Example> Examples =>
    [
        new("Fine-tune the float baseline for one epoch with 4-bit weights",
            new QatVerb { Weights = "models/resnet20-fashion-mnist.safetensors", UniformBits = 4, Out = "out/resnet20-w4.safetensors" }),
    ];

    [Option("weights", Required = true, HelpText = "Float checkpoint written by `ompq train` (.safetensors).")]
    public string Weights { get; set; } = "";

    [Option("uniform-bits", HelpText = "Weight width of every conv/linear layer but the first and the classifier, 2..8.")]
    public int? UniformBits { get; set; }

    [Option("bits-from", HelpText = "Search report (`ompq search --out`) whose unit bits the layers take; layers outside its units get 8.")]
    public string? BitsFrom { get; set; }

    [Option("act-bits", Default = 8, HelpText = "Width of every quantized layer's input activation, 2..8 (the first layer's input, the image, stays at 8).")]
    public int ActBits { get; set; }

    [Option("float-activations", HelpText = "Keep activations in fp32 (weights-only quantization).")]
    public bool FloatActivations { get; set; }

    [Option("calibration-batches", Default = 8, HelpText = "Batches run forward before fine-tuning to start the activation ranges.")]
    public int CalibrationBatches { get; set; }

    [Option("data", HelpText = "fashion-mnist | mnist | <folder>; default: the dataset the checkpoint was trained on.")]
    public string? Data { get; set; }

    [Option("data-dir", HelpText = "Folder of the IDX files for fashion-mnist / mnist.")]
    public string? DataDir { get; set; }

    [Option("epochs", Default = 1, HelpText = "Epochs to fine-tune.")]
    public int Epochs { get; set; }

    [Option("batch", Default = 128, HelpText = "Images per step.")]
    public int Batch { get; set; }

    [Option("lr", Default = 0.01f, HelpText = "Peak learning rate (SGD, momentum 0.9, cosine schedule).")]
    public float Lr { get; set; }

    [Option("wd", Default = 5e-4f, HelpText = "Weight decay.")]
    public float WeightDecay { get; set; }

    [Option("seed", Default = 0, HelpText = "Seed of the data order.")]
    public int Seed { get; set; }

    [Option("limit", HelpText = "Fine-tune on the first N training images only.")]
    public int? Limit { get; set; }

    [Option("test-limit", HelpText = "Evaluate on the first N test images only (default all).")]
    public int? TestLimit { get; set; }

    [Option("no-test", HelpText = "Skip the test-set evaluation after each epoch.")]
    public bool NoTest { get; set; }

    [Option("checkpoint-steps", Default = 0, HelpText = "Also write the checkpoint every N steps (0 = at epoch ends only).")]
    public int CheckpointSteps { get; set; }

    [Option("out", Required = true, HelpText = "Checkpoint file (.safetensors) with the fine-tuned weights and their quantization.")]
    public string Out { get; set; } = "";

    [Option("resume", HelpText = "Continue the run whose checkpoint is --out (same options).")]
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
        QuantizationBits.CheckChoice(UniformBits, BitsFrom);
        if (ActBits < 2 || ActBits > 8) throw new InvalidInputException($"--act-bits must be in 2..8, got {ActBits}");
        if (CalibrationBatches < 0) throw new InvalidInputException($"--calibration-batches must be >= 0, got {CalibrationBatches}");
        var options = new TrainingOptions
        {
            Epochs = Epochs, BatchSize = Batch, Lr = Lr, WeightDecay = WeightDecay, Seed = Seed, Limit = Limit,
            CheckpointEverySteps = CheckpointSteps,
        };
        options.Validate();
        AtomicFile.CheckWritable(Out);
        PlotFiles.CheckFolder(Plots, "--plots");
        TrainingCheckpoint? resumeFrom = null;
        if (Resume)
        {
            if (!File.Exists(Out)) throw new InvalidInputException($"--resume: no checkpoint at '{Out}' to continue; run without --resume to start one");
            resumeFrom = TrainingCheckpoint.Load(Out);
        }
        else if (File.Exists(Out))
        {
            throw new InvalidInputException($"--out '{Out}' already exists; expected a new path, or --resume to continue that run");
        }
        var source = TrainingCheckpoint.Load(Weights);
        if (!source.Quantization.IsEmpty || source.BatchNormFolded)
            throw new InvalidInputException($"{Weights}: is already quantized; --weights takes a float checkpoint from `ompq train`");
        string dataName = Data ?? source.Dataset;

        using IKernels kernels = BackendRegistry.Create(Device, Threads);
        using GraphModel model = LoadFolded(source, resumeFrom);
        var config = Configuration(model);
        if (resumeFrom is not null) CheckSameRun(resumeFrom, options, config);
        var train = LabelledDataSets.Open(dataName, DataSplit.Train, DataDir, source.Model.InputSize);
        var test = NoTest ? null : LabelledDataSets.Open(dataName, DataSplit.Test, DataDir, source.Model.InputSize);
        var testSet = test is null ? null : (TestLimit is { } tl ? LabelledSubset.First(test, tl) : test);

        using var trainer = new Trainer(model, kernels, train, options);
        trainer.Executor.SetQuantization(config);
        var state = new TrainingState();
        if (resumeFrom is not null)
        {
            trainer.Restore(resumeFrom);
            state = resumeFrom.State;
        }
        else
        {
            trainer.Calibrate(config.QuantizesActivations ? CalibrationBatches : 0);
        }
        // Evaluation between epochs runs the inference path with the same configuration and the ranges seen so far.
        trainer.Executor.CopyParametersToModel();
        TrainingRun.Execute(context, trainer, model, kernels, train, testSet, state, dataName, Out, Json, Plots);
        return Cli.Ok;
    }

    /// <summary>The float model with batch-norm folded in (a new run), or the folded model a resumed checkpoint holds.</summary>
    private GraphModel LoadFolded(TrainingCheckpoint source, TrainingCheckpoint? resumeFrom)
    {
        if (resumeFrom is not null)
        {
            if (!resumeFrom.BatchNormFolded || resumeFrom.Model != source.Model)
                throw new InvalidInputException($"--resume: '{Out}' is not a quantization-aware run of {source.Model.Name} started from --weights");
            return resumeFrom.CreateModel(Out);
        }
        using var unfolded = source.CreateModel(Weights);
        return unfolded.FoldBatchNorm();
    }

    private QuantizationConfig Configuration(GraphModel model)
    {
        var bits = QuantizationBits.Choose(model, UniformBits, BitsFrom);
        var config = QuantizationConfig.WeightsOnly(bits);
        if (FloatActivations) return config;
        string first = model.WeightLayers.First().Name;
        // Placeholder grids: the first forward of calibration (or of training) replaces them by observed ranges.
        return config.WithInputs(layer => new ActivationQuant(layer == first ? QuantizationBits.EdgeLayerBits : ActBits, 1f, Unsigned: false));
    }

    private void CheckSameRun(TrainingCheckpoint checkpoint, TrainingOptions options, QuantizationConfig config)
    {
        var saved = checkpoint.WeightBits;
        var wanted = config.WeightBits;
        if (saved.Count != wanted.Count || wanted.Any(p => !saved.TryGetValue(p.Key, out int b) || b != p.Value))
            throw new InvalidInputException($"--resume: checkpoint '{Out}' was fine-tuned at other weight bits than this command gives");
        if (checkpoint.Quantization.QuantizesActivations != config.QuantizesActivations)
            throw new InvalidInputException($"--resume: checkpoint '{Out}' differs in activation quantization from this command");
        TrainingOptionsMatch.Check(checkpoint, options, Out);
    }
}
