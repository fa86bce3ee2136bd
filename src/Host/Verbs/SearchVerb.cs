using System.Diagnostics;
using System.Globalization;
using CommandLine;
using Ompq.Host.Data;
using Ompq.Kernels;
using Ompq.Host.Plots;
using Ompq.Host.Reports;
using Ompq.Runtime;
using Ompq.Runtime.Device;
using Ompq.Runtime.Io;
using Ompq.Runtime.Io.Onnx;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Search;
using Ompq.Runtime.Tensors;

namespace Ompq.Host.Verbs;

[Verb("search", HelpText = "Find per-layer weight bit-widths with OMPQ (orthogonality of one batch's features, then an exact allocation).")]
public sealed class SearchVerb : IVerb
{
    public static readonly string[] Models = ["resnet18", "resnet50", "mobilenetv2", "resnet20"];

    [Option("model", HelpText = "resnet18 | resnet50 | mobilenetv2 | resnet20 (with --onnx: only picks the default beta).")]
    public string? Model { get; set; }

    [Option("weights", HelpText = "State dict (safetensors or PyTorch zip, torchvision names); without it the model is seeded-random.")]
    public string? Weights { get; set; }

    [Option("onnx", HelpText = "Import the network from an ONNX file instead of --model/--weights.")]
    public string? Onnx { get; set; }

    [Option("data", Required = true, HelpText = "Image folder, IDX image file, fashion-mnist, mnist or synthetic.")]
    public string Data { get; set; } = "";

    [Option("data-dir", HelpText = "Folder of the IDX files for fashion-mnist / mnist (mnist: else $OMPQ_MNIST_DIR, else ~/.cache/ompq/mnist, /usr/share/datasets/mnist).")]
    public string? DataDir { get; set; }

    [Option("images", Default = 32, HelpText = "Images in the batch (n).")]
    public int Images { get; set; }

    [Option("input-size", HelpText = "Square input side; default 224 (ImageNet models), 28 (resnet20), the graph's size (--onnx).")]
    public int? InputSize { get; set; }

    [Option("mode", Default = "qat", HelpText = "qat | ptq: which units are measured and the default bit range.")]
    public string Mode { get; set; } = "qat";

    [Option("size-mb", Required = true, HelpText = "Model size budget in MiB (weights at their widths, fixed layers at 8 bits).")]
    public double SizeMb { get; set; }

    [Option("bitops-g", HelpText = "Optional BitOps budget in G (MACs·weight bits·activation bits).")]
    public double? BitOpsG { get; set; }

    [Option("beta", HelpText = "θ = exp(−β·γ). Default per model/mode: resnet18 QAT 10, PTQ 100; resnet50 3.3; mobilenetv2 0.")]
    public double? Beta { get; set; }

    [Option("bits", HelpText = "Allowed weight widths MIN..MAX within 2..8 (default QAT 4..8, PTQ 2..4).")]
    public string? Bits { get; set; }

    [Option("coefficients", Default = "suffix-mean", HelpText = "suffix-mean (mean θ of this and later units) | theta.")]
    public string Coefficients { get; set; } = "suffix-mean";

    [Option("act-bits", Default = 8, HelpText = "Activation width used in BitOps (fixed layers count 8×8).")]
    public int ActBits { get; set; }

    [Option("device", Default = "cpu", HelpText = "Backend id (see `ompq devices`).")]
    public string Device { get; set; } = "cpu";

    [Option("threads", Default = 0, HelpText = "CPU backend threads (0 = all cores).")]
    public int Threads { get; set; }

    [Option("seed", Default = 0, HelpText = "Seed of synthetic images, IDX image draw and random weights.")]
    public int Seed { get; set; }

    [Option("orm-form", Default = "auto", HelpText = "auto | gram | feature: how each unit enters the ORM (auto: feature form when d < n).")]
    public string OrmFormName { get; set; } = "auto";

    [Option("bn", Default = "eval", HelpText = "eval | batch: batch-norm with running statistics (default, deterministic) or with the batch's own statistics (the reference code's behaviour).")]
    public string BatchNorm { get; set; } = "eval";

    [Option("accounting", Default = "pinned", HelpText = "pinned | reference: PTQ's stem and classifier pinned at 8 bits (default) or searched in the bit range and counted at their width (the reference code's PTQ accounting).")]
    public string Accounting { get; set; } = "pinned";

    [Option("preprocess", Default = "imagenet", HelpText = "imagenet | cntk-bgr | none: image normalisation. imagenet: ImageNet mean/std on RGB (grey models: the dataset's mean/std); cntk-bgr: BGR 0-255 minus the CNTK ResNet-18 ONNX's means; none: pixels in [0,1].")]
    public string Preprocess { get; set; } = "imagenet";

    [Option("out", HelpText = "Write the JSON report to this file.")]
    public string? Out { get; set; }

    [Option("plots", HelpText = "Write orm.png (heatmap) and bits.png (bits per unit) into this folder.")]
    public string? Plots { get; set; }

    [Option("json", HelpText = "Print the JSON report on stdout instead of the table.")]
    public bool Json { get; set; }

    [Option("limits", HelpText = "Raise (or lower) what input files may ask for: KEY=N,... with N an integer, optionally with suffix k, M or G (×1024). Keys: tensor-elements (default 256M), image-pixels (64M), input-bytes (1G), pickle-stack (1M), pickle-memo (1M), graph-nodes (1M), scratch-bytes (256M), window-taps (1M).")]
    public string? Limits { get; set; }

    [Option("verbose", HelpText = "Show stack traces of errors.")]
    public bool Verbose { get; set; }

    public int Execute(CliContext context)
    {
        var setup = Stopwatch.StartNew();
        SearchMode mode = ParseMode(Mode);
        string? modelName = Model is null ? null : CanonicalModel(Model);
        if (modelName is null && Onnx is null)
            throw new InvalidInputException("no network given: expected --model resnet18|resnet50|mobilenetv2|resnet20 or --onnx FILE");
        if (Onnx is not null && Weights is not null)
            throw new InvalidInputException("--weights and --onnx both given: the ONNX file carries its own weights, expected one of them");
        var bits = Bits is null ? BitRange.Default(mode) : BitRange.Parse(Bits);
        var rule = Coefficients switch
        {
            "suffix-mean" => CoefficientRule.SuffixMean,
            "theta" => CoefficientRule.Theta,
            _ => throw new InvalidInputException($"--coefficients '{Coefficients}' is unknown: expected suffix-mean or theta"),
        };
        var form = OrmFormName switch
        {
            "auto" => OrmForm.Auto,
            "gram" => OrmForm.Gram,
            "feature" => OrmForm.Feature,
            _ => throw new InvalidInputException($"--orm-form '{OrmFormName}' is unknown: expected auto, gram or feature"),
        };
        var batchNorm = BatchNorm switch
        {
            "eval" => BatchNormMode.Eval,
            "batch" => BatchNormMode.Batch,
            _ => throw new InvalidInputException($"--bn '{BatchNorm}' is unknown: expected eval or batch"),
        };
        var accounting = Accounting switch
        {
            "pinned" => SizeAccounting.Pinned,
            "reference" => SizeAccounting.Reference,
            _ => throw new InvalidInputException($"--accounting '{Accounting}' is unknown: expected pinned or reference"),
        };
        Preprocessing preprocess = PreprocessingOption.Parse(Preprocess);
        ResourceLimits limits = Limits is null ? ResourceLimits.Default : ResourceLimits.Parse(Limits, "--limits");
        if (InputSize is { } s && (s < 8 || s > 1024)) throw new InvalidInputException($"--input-size {s} is invalid: expected 8..1024 pixels");
        if (Images < 2 || Images > 4096) throw new InvalidInputException($"--images {Images} is invalid: expected 2..4096");
        if (Plots is not null && File.Exists(Plots)) throw new InvalidInputException($"--plots '{Plots}' is a file, expected a folder");
        // Fail on an unusable output path now rather than after the search; a report inside the --plots folder
        // is fine even when that folder does not exist yet, because it is created before anything is written.
        if (Out is not null && !IsInsidePlotsFolder(Out)) AtomicFile.CheckWritable(Out);
        double beta = Beta ?? SearchOptions.DefaultBeta(modelName ?? "resnet18", mode);
        var options = new SearchOptions(mode, SizeMb, beta, bits, BitOpsG, rule, ActBits, form, batchNorm, accounting);

        using IKernels kernels = BackendRegistry.Create(Device, Threads);
        using GraphModel model = LoadModel(modelName, limits, out string weightsDescription);
        var (channels, height, width) = model.InputShape;
        if (height != width) throw new InvalidInputException($"model input {height}×{width} is not square; expected a square input");
        // A size the ONNX graph declares is the model's, not an option the user passed.
        string sizeOrigin = InputSize is null && Onnx is not null ? $"input size declared by '{Onnx}'" : "--input-size";
        model.CheckBatch(Images, limits, $"--images {Images}");
        ImageBatch batch = BatchLoader.Load(new BatchLoader.Request(Data, DataDir, Images, channels, height, Seed, preprocess, sizeOrigin, limits));
        using Tensor input = Tensor.FromHost(kernels, batch.Pixels, batch.Count, channels, height, width);
        double setupSeconds = setup.Elapsed.TotalSeconds;

        var progress = new UnitProgress(context.Error, context.InteractiveError && !Json);
        SearchResult result;
        try
        {
            result = OmpqSearch.Run(model, input, options, progress.Report);
        }
        finally
        {
            progress.Finish();
        }

        // Everything is rendered before anything is written, so a failure leaves no partial output.
        byte[] json = SearchReportJson.Write(result, new SearchReportJson.Context(Seed, batch.Description, weightsDescription, setupSeconds, PreprocessingOption.Name(preprocess)));
        byte[]? heatmap = Plots is null ? null : PngEncoder.Encode(SearchPlots.Heatmap(result.Orm));
        byte[]? chart = Plots is null ? null : PngEncoder.Encode(SearchPlots.BitsChart(result.Units));
        if (Plots is not null)
        {
            try { Directory.CreateDirectory(Plots); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new InvalidInputException($"cannot create --plots folder '{Plots}': {ex.Message}", ex);
            }
        }
        if (Out is not null) AtomicFile.Write(Out, json);
        if (Plots is not null)
        {
            AtomicFile.Write(Path.Combine(Plots, "orm.png"), heatmap!);
            AtomicFile.Write(Path.Combine(Plots, "bits.png"), chart!);
        }

        if (Json)
        {
            context.Out.Write(System.Text.Encoding.UTF8.GetString(json));
            // The table prints warnings itself; with --json they are in the report and, so nobody misses them, on stderr.
            foreach (string warning in result.Warnings) context.Error.WriteLine($"warning: {warning}");
        }
        else SearchSummary.Write(context.Out, result, batch.Description, weightsDescription);
        return Cli.Ok;
    }

    private GraphModel LoadModel(string? modelName, ResourceLimits limits, out string weightsDescription)
    {
        if (Onnx is not null)
        {
            if (!File.Exists(Onnx)) throw new InvalidInputException($"--onnx '{Onnx}' does not exist; expected an .onnx model file");
            weightsDescription = $"ONNX {Path.GetFileName(Onnx)}";
            return OnnxImporter.Load(Onnx, InputSize, limits);
        }
        if (Weights is not null && !File.Exists(Weights))
            throw new InvalidInputException($"--weights '{Weights}' does not exist; expected a safetensors or PyTorch state-dict file");
        weightsDescription = Weights is null ? $"seeded random initialisation (seed {Seed}; no --weights)" : Path.GetFileName(Weights);
        return ModelFiles.Open(modelName!, Weights, InputSize, Seed, limits);
    }

    private static SearchMode ParseMode(string mode) => mode.ToLowerInvariant() switch
    {
        "qat" => SearchMode.Qat,
        "ptq" => SearchMode.Ptq,
        _ => throw new InvalidInputException($"--mode '{mode}' is unknown: expected qat or ptq"),
    };

    private static string CanonicalModel(string name)
    {
        string key = name.Trim().ToLowerInvariant().Replace("_", "").Replace("-", "");
        return Models.Contains(key)
            ? key
            : throw new InvalidInputException($"unknown model '{name}': expected one of {string.Join(", ", Models)}");
    }

    private bool IsInsidePlotsFolder(string path)
        => Plots is not null && string.Equals(Path.GetDirectoryName(Path.GetFullPath(path)),
            Path.GetFullPath(Plots).TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal);
}
