using System.Globalization;
using System.Text.Json;
using CommandLine;
using CommandLine.Text;
using Ompq.Host.Data;
using Ompq.Kernels;
using Ompq.Runtime;
using Ompq.Runtime.Device;
using Ompq.Runtime.Io;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Quantization.Ptq;
using Ompq.Runtime.Search;
using Ompq.Runtime.Training;

namespace Ompq.Host.Verbs;

/// <summary>
/// Post-training quantization of a float checkpoint without labels (spec §8; <see cref="PostTrainingQuantizer"/>):
/// batch-norm folded, weight ranges by least Lp error, activation steps searched, rounding learned block by block on a
/// seeded calibration subset of the training split. Writes a checkpoint of the folded model with fixed scales and
/// grids that `ompq eval` evaluates exactly, then (when the dataset has a test split) evaluates it.
/// </summary>
[Verb("ptq", HelpText = "Post-training quantization of a float checkpoint (no labels): Lp weight ranges, searched activation steps, AdaRound block reconstruction; `ompq eval` reads the result.")]
public sealed class PtqVerb : IVerb
{
    [Usage(ApplicationAlias = "ompq")]
    public static IEnumerable<Example> Examples =>
    [
        new("Quantize the float baseline to 3-bit weights (first conv and fc at 8) with block reconstruction",
            new PtqVerb { Weights = "models/resnet20-fashion-mnist.safetensors", UniformBits = 3, Out = "out/resnet20-ptq-w3.safetensors" }),
        new("Take the bits of a search report; round to nearest only",
            new PtqVerb { Weights = "models/resnet20-fashion-mnist.safetensors", BitsFrom = "out/search.json", NoReconstruction = true, Out = "out/resnet20-ptq.safetensors" }),
    ];

    [Option("weights", Required = true, HelpText = "Float checkpoint written by `ompq train` (.safetensors).")]
    public string Weights { get; set; } = "";

    // --uniform-bits and --bits-from exclude each other through CheckChoice, not the parser's option sets: the parser's
    // sentence for a set conflict throws instead of describing it.
    [Option("uniform-bits", HelpText = "Weight width of every conv/linear layer but the first and the classifier (8), 2..8.")]
    public int? UniformBits { get; set; }

    [Option("bits-from", HelpText = "Search report (`ompq search --out`) whose unit bits the layers take; layers outside its units get 8.")]
    public string? BitsFrom { get; set; }

    [Option("out", Required = true, HelpText = "Checkpoint to write (.safetensors); must not exist.")]
    public string Out { get; set; } = "";

    [Option("calibration", Default = 1024, HelpText = "Calibration images: the first N of the training split in the seed's order (labels unused).")]
    public int Calibration { get; set; } = 1024;

    [Option("act-bits", Default = 8, HelpText = "Width of every quantized layer's input activation, 2..8 (the image, the first layer's input, stays at 8).")]
    public int ActBits { get; set; } = 8;

    [Option("iterations", Default = PtqOptions.DefaultIterations, HelpText = "Reconstruction steps per block (Adam, batches of 32).")]
    public int Iterations { get; set; } = PtqOptions.DefaultIterations;

    [Option("lr", Default = PtqOptions.DefaultLearningRate, HelpText = "Adam step size on the rounding variables (lower it when raising --iterations a lot).")]
    public float Lr { get; set; } = PtqOptions.DefaultLearningRate;

    [Option("no-reconstruction", HelpText = "Round every weight to nearest (Lp ranges and activation steps only).")]
    public bool NoReconstruction { get; set; }

    [Option("seed", Default = 0, HelpText = "Seed of the calibration subset and of the reconstruction batches.")]
    public int Seed { get; set; } = 0;

    [Option("data", HelpText = "fashion-mnist | mnist | <folder>; default: the dataset the checkpoint was trained on.")]
    public string? Data { get; set; }

    [Option("data-dir", HelpText = "Folder of the IDX files for fashion-mnist / mnist.")]
    public string? DataDir { get; set; }

    [Option("no-test", HelpText = "Skip the test-set evaluation after quantizing.")]
    public bool NoTest { get; set; }

    [Option("test-limit", HelpText = "Evaluate on the first N test images only (default all).")]
    public int? TestLimit { get; set; }

    [Option("device", Default = "cpu", HelpText = "Backend id (see `ompq devices`).")]
    public string Device { get; set; } = "cpu";

    [Option("threads", Default = 0, HelpText = "CPU backend threads (0 = all cores).")]
    public int Threads { get; set; } = 0;

    [Option("json", HelpText = "Print a JSON summary on stdout instead of the table.")]
    public bool Json { get; set; }

    [Option("verbose", HelpText = "Show stack traces of errors.")]
    public bool Verbose { get; set; }

    public int Execute(CliContext context)
    {
        QuantizationBits.CheckChoice(UniformBits, BitsFrom);
        if (Calibration < 1) throw new InvalidInputException($"--calibration must be >= 1, got {Calibration}");
        if (TestLimit is < 1) throw new InvalidInputException($"--test-limit must be >= 1, got {TestLimit}");
        var options = new PtqOptions { ActivationBits = ActBits, Reconstruct = !NoReconstruction, Iterations = Iterations, Seed = Seed, LearningRate = Lr };
        CheckOptions(options);
        if (File.Exists(Out)) throw new InvalidInputException($"--out '{Out}' already exists; choose another path (ptq does not overwrite)");
        AtomicFile.CheckWritable(Out);
        var source = TrainingCheckpoint.Load(Weights);
        if (!source.Quantization.IsEmpty || source.BatchNormFolded)
            throw new InvalidInputException($"{Weights}: is already quantized; --weights takes a float checkpoint from `ompq train`");
        string dataName = Data ?? source.Dataset;
        var train = LabelledDataSets.Open(dataName, DataSplit.Train, DataDir, source.Model.InputSize);
        if (Calibration > train.Count)
            throw new InvalidInputException($"--calibration {Calibration} is more than the {train.Count} images of {train.Name}");
        ILabelledImages? test = NoTest ? null : LabelledDataSets.Open(dataName, DataSplit.Test, DataDir, source.Model.InputSize);
        if (test is not null && TestLimit is { } limit) test = LabelledSubset.First(test, limit);

        using IKernels kernels = BackendRegistry.Create(Device, Threads);
        using GraphModel floatModel = source.CreateModel(Weights);
        Evaluator.CheckCompatible(floatModel, train);
        var bits = QuantizationBits.Choose(floatModel, UniformBits, BitsFrom);
        double sizeMiB = bits.Sum(p => floatModel.LayerParams(p.Key) * (double)p.Value) / 8 / CostModel.BytesPerMiB;
        double floatMiB = floatModel.WeightLayers.Sum(l => floatModel.LayerParams(l.Name) * 32.0) / 8 / CostModel.BytesPerMiB;
        using GraphModel model = floatModel.FoldBatchNorm();
        var calibration = CalibrationImages.Draw(train, Calibration, Seed);

        string rounding = NoReconstruction ? "rounding to nearest" : $"{Iterations} reconstruction steps per block";
        if (!Json) context.Out.WriteLine(Invariant(
            $"ptq {model.Name}: weights {bits.Values.Min()}..{bits.Values.Max()} bits, activations {ActBits} bits, {Calibration} calibration images of {train.Name} (seed {Seed}), {rounding}"));
        var inline = new ProgressLine(context.Error, context.InteractiveError && !Json);
        var progress = ProgressLine.Inline<PtqProgress>(p =>
        {
            if (p.Finished is { } block)
            {
                inline.Clear();
                if (!Json) context.Out.WriteLine(BlockLine(p, block));
            }
            else
            {
                inline.Show(p.Stage == PtqStage.Reconstructing
                    ? Invariant($"block {p.Block + 1}/{p.Blocks} {p.Name}: step {p.Iteration}/{p.Iterations}, loss {p.Loss:G4}")
                    : $"block {p.Block + 1}/{p.Blocks} {p.Name}: calibrating");
            }
        });
        PtqResult result;
        try
        {
            result = PostTrainingQuantizer.Run(model, kernels, calibration, bits, options, progress);
        }
        finally
        {
            inline.Clear();
        }

        // A post-training checkpoint has no training run: its options record only the seed (of the calibration draw).
        var parameters = model.Parameters.Names.Select(n => new KeyValuePair<string, Ompq.Runtime.Tensors.HostTensor>(n, model.Parameters[n])).ToArray();
        new TrainingCheckpoint(ModelIdentity.Of(model), dataName, new TrainingOptions { Seed = Seed }, new TrainingState(), parameters,
            new Dictionary<string, Ompq.Runtime.Tensors.HostTensor>(), 0, result.Quantization, batchNormFolded: true).Save(Out);

        // Evaluate what was written, read back as `ompq eval` reads it, so the two numbers are the same computation.
        EvaluationResult? evaluation = null;
        if (test is not null)
        {
            using var written = TrainingCheckpoint.Load(Out).CreateModel(Out);
            evaluation = Evaluator.Run(written, kernels, test);
        }

        if (Json) WriteJson(context.Out, model.Name, train.Name, test?.Name, kernels.Info.Id, bits, result, evaluation, sizeMiB, floatMiB);
        else
        {
            context.Out.WriteLine(Invariant($"quantized in {result.Seconds:F1} s; weights {sizeMiB:F4} MiB (float {floatMiB:F4} MiB)"));
            if (evaluation is { } e)
                context.Out.WriteLine(Invariant(
                    $"top-1 {e.Top1 * 100:F2}% ({(long)Math.Round(e.Top1 * e.Images)}/{e.Images}) on {test!.Name}, loss {e.Loss:F4}, {e.Seconds:F1} s"));
            context.Out.WriteLine($"wrote {Out}");
        }
        return Cli.Ok;
    }

    private static void CheckOptions(PtqOptions options)
    {
        // The library's messages name its settings; the command line names its options.
        if (options.ActivationBits is < 2 or > 8) throw new InvalidInputException($"--act-bits must be in 2..8, got {options.ActivationBits}");
        if (options.Iterations < 1) throw new InvalidInputException($"--iterations must be >= 1, got {options.Iterations}");
        if (!(options.LearningRate > 0) || !float.IsFinite(options.LearningRate)) throw new InvalidInputException($"--lr must be a positive number, got {options.LearningRate}");
        options.Validate();
    }

    private static string BlockLine(PtqProgress p, BlockReconstructionResult block)
    {
        string learned = block.ErrorLearned is { } l
            ? Invariant($", learned {l:E3} ({(block.LearnedKept ? "kept" : "worse: nearest kept")})")
            : "";
        return Invariant($"block {p.Block + 1,2}/{p.Blocks} {block.Name,-10} mse nearest {block.ErrorNearest:E3}{learned}, {block.Seconds:F1} s");
    }

    private static void WriteJson(TextWriter output, string model, string calibrationSet, string? testSet, string device, IReadOnlyDictionary<string, int> bits,
        PtqResult result, EvaluationResult? evaluation, double sizeMiB, double floatMiB)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("model", model);
            json.WriteString("calibration_set", calibrationSet);
            json.WriteString("device", device);
            if (evaluation is { } e)
            {
                json.WriteNumber("top1", e.Top1);
                json.WriteNumber("loss", e.Loss);
                json.WriteString("test_set", testSet);
                json.WriteNumber("test_images", e.Images);
                json.WriteNumber("eval_seconds", e.Seconds);
            }
            else json.WriteNull("top1");
            json.WriteNumber("seconds", result.Seconds);
            json.WriteNumber("process_cpu_seconds", System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds);
            json.WriteNumber("size_mib", sizeMiB);
            json.WriteNumber("float_size_mib", floatMiB);
            json.WriteStartObject("weight_bits");
            foreach (var (layer, b) in bits) json.WriteNumber(layer, b);
            json.WriteEndObject();
            json.WriteStartArray("blocks");
            foreach (var block in result.Blocks)
            {
                json.WriteStartObject();
                json.WriteString("name", block.Name);
                json.WriteStartArray("layers");
                foreach (var layer in block.Layers) json.WriteStringValue(layer);
                json.WriteEndArray();
                json.WriteNumber("mse_nearest", block.ErrorNearest);
                if (block.ErrorLearned is { } learned) json.WriteNumber("mse_learned", learned);
                else json.WriteNull("mse_learned");
                json.WriteBoolean("learned_kept", block.LearnedKept);
                json.WriteNumber("iterations", block.Iterations);
                json.WriteNumber("seconds", block.Seconds);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
