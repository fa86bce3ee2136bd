using CommandLine;
using CommandLine.Text;
using Ompq.Host.Data;
using Ompq.Host.Plots;
using Ompq.Kernels;
using Ompq.Runtime;
using Ompq.Runtime.Device;
using Ompq.Runtime.Io;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Training;

namespace Ompq.Host.Verbs;

/// <summary>
/// Quantization-aware fine-tuning of a float checkpoint: weights fake-quantized per output channel, straight-through
/// gradients, batch-norm still unfused with batch statistics (folding it into the quantized weight comes next).
/// The checkpoint it writes records the bits, so `ompq eval` evaluates at them.
/// </summary>
[Verb("qat", HelpText = "Fine-tune a float checkpoint with fake-quantized weights (first conv and classifier at 8 bits); `ompq eval` reads the result.")]
public sealed class QatVerb : IVerb
{
    [Usage(ApplicationAlias = "ompq")]
    public static IEnumerable<Example> Examples =>
    [
        new("Fine-tune the float baseline for one epoch with 4-bit weights",
            new QatVerb { Weights = "models/resnet20-fashion-mnist.safetensors", UniformBits = 4, Out = "out/resnet20-w4.safetensors" }),
    ];

    /// <summary>The first conv and the classifier stay at this width (the usual recipe: they are small and sensitive).</summary>
    public const int EdgeLayerBits = 8;

    [Option("weights", Required = true, HelpText = "Float checkpoint written by `ompq train` (.safetensors).")]
    public string Weights { get; set; } = "";

    [Option("uniform-bits", Required = true, HelpText = "Weight width of every other conv/linear layer, 2..8.")]
    public int UniformBits { get; set; }

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

    [Option("out", Required = true, HelpText = "Checkpoint file (.safetensors) with the fine-tuned weights and their bits.")]
    public string Out { get; set; } = "";

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
        if (UniformBits < 2 || UniformBits > 8) throw new InvalidInputException($"--uniform-bits must be in 2..8, got {UniformBits}");
        var options = new TrainingOptions { Epochs = Epochs, BatchSize = Batch, Lr = Lr, WeightDecay = WeightDecay, Seed = Seed, Limit = Limit };
        options.Validate();
        AtomicFile.CheckWritable(Out);
        PlotFiles.CheckFolder(Plots, "--plots");
        if (File.Exists(Out)) throw new InvalidInputException($"--out '{Out}' already exists; expected a new path");
        var source = TrainingCheckpoint.Load(Weights);
        string dataName = Data ?? source.Dataset;

        using IKernels kernels = BackendRegistry.Create(Device, Threads);
        using GraphModel model = source.CreateModel(Weights);
        var train = LabelledDataSets.Open(dataName, DataSplit.Train, DataDir, source.Model.InputSize);
        var test = NoTest ? null : LabelledDataSets.Open(dataName, DataSplit.Test, DataDir, source.Model.InputSize);
        var testSet = test is null ? null : (TestLimit is { } tl ? LabelledSubset.First(test, tl) : test);
        var bits = BitsFor(model, UniformBits);
        // Evaluation between epochs runs the inference path, which quantizes the BN-folded weight at the same bits.
        model.SetWeightBits(bits);

        using var trainer = new Trainer(model, kernels, train, options);
        trainer.Executor.SetWeightBits(bits);
        TrainingRun.Execute(context, trainer, model, kernels, train, testSet, new TrainingState(), dataName, Out, Json, Plots);
        return Cli.Ok;
    }

    /// <summary><paramref name="uniform"/> bits for every conv/linear layer but the first and the classifier (the last), which get 8.</summary>
    public static Dictionary<string, int> BitsFor(GraphModel model, int uniform)
    {
        var layers = model.WeightLayers.ToList();
        var bits = layers.ToDictionary(l => l.Name, _ => uniform, StringComparer.Ordinal);
        bits[layers[0].Name] = EdgeLayerBits;
        bits[layers[^1].Name] = EdgeLayerBits;
        return bits;
    }
}
