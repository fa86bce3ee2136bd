using System.Diagnostics;
using System.Globalization;
using CommandLine;
using CommandLine.Text;
using Ompq.Host.Data;
using Ompq.Host.Options;
using Ompq.Kernels;
using Ompq.Host.Plots;
using Ompq.Host.Reports;
using Ompq.Runtime;
using Ompq.Runtime.Device;
using Ompq.Runtime.Io;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Search;
using Ompq.Runtime.Search.Baselines;
using Ompq.Runtime.Tensors;

namespace Ompq.Host.Verbs;

[Verb("search", HelpText = "Find per-layer weight bit-widths with OMPQ (orthogonality of one batch's features, then an exact allocation), or with a baseline (--method) under the same budgets.")]
public sealed class SearchVerb : IVerb
{
    [Usage(ApplicationAlias = "ompq")]
    public static IEnumerable<Example> Examples =>
    [
        new("ResNet-18 (seeded random weights) on 32 synthetic images, QAT units, a 6.7 MiB budget; report and plots into out/",
            new SearchVerb { Model = "resnet18", Data = "synthetic", SizeMb = 6.7, Plots = "out", Out = "out/search.json" }),
        new("The pretrained CNTK ResNet-18 ONNX on an image folder, PTQ widths 2..4 under 3.5 MiB",
            new SearchVerb { Onnx = "resnet18.onnx", Data = "photos/", Mode = SearchMode.Ptq, SizeMb = 3.5, Preprocess = Preprocessing.CntkBgr }),
        new("The HAWQ-V3 baseline under the same budget: Hessian traces on 32 labelled Fashion-MNIST training images",
            new SearchVerb { Model = "resnet20", Weights = "models/resnet20-fashion-mnist.safetensors", Data = "fashion-mnist", SizeMb = 0.2, Method = SearchMethod.Hawq }),
    ];

    [Option("model", HelpText = $"A zoo model: {HelpScreen.ModelNames} (with --onnx: only picks the default beta).")]
    public string? Model { get; set; }

    [Option("weights", HelpText = "State dict (safetensors or PyTorch zip, torchvision names); without it the model is seeded-random.")]
    public string? Weights { get; set; }

    [Option("onnx", HelpText = "Import the network from an ONNX file instead of --model/--weights.")]
    public string? Onnx { get; set; }

    [Option("data", Required = true, HelpText = "Image folder, IDX image file, fashion-mnist, mnist or synthetic.")]
    public string Data { get; set; } = "";

    [Option("data-dir", HelpText = "Folder of the IDX files for fashion-mnist / mnist (mnist: else $OMPQ_MNIST_DIR, else ~/.cache/ompq/mnist, /usr/share/datasets/mnist).")]
    public string? DataDir { get; set; }

    [Option("images", HelpText = "Images in the batch (n); the search refuses a count whose estimated memory exceeds --memory-limit-gb.")]
    public int Images { get; set; } = 32;

    [Option("input-size", HelpText = "Square input side; default 224 (ImageNet models), 28 (resnet20), the graph's size (--onnx).")]
    public int? InputSize { get; set; }

    [Option("mode", HelpText = "Which units are measured and the default bit range (qat 4..8, ptq 2..4).")]
    public SearchMode Mode { get; set; } = SearchMode.Qat;

    [Option("method", HelpText = "ompq: the method. Baselines under the same units and budgets: hawq = HAWQ-V3 (Hutchinson Hessian trace per unit × ‖Q_b(W)−W‖², minimised by the exact allocator; needs labelled --data: fashion-mnist, mnist or a class-folder tree, whose training split it draws --images from); uniform = the largest single width that fits; random = --random-draws seeded draws (--seed) filled up to the budgets, the largest kept.")]
    public SearchMethod Method { get; set; } = SearchMethod.Ompq;

    [Option("hessian-probes", HelpText = "hawq: Rademacher probes per unit (output-difference: two forwards per unit and probe; gradient-difference: two forward+backward passes per probe); the report gives each trace's standard error.")]
    public int HessianProbes { get; set; } = HessianOptions.DefaultProbes;

    [Option("hessian-estimator", HelpText = "hawq: output-difference (central differences of the logits along each unit's probe, batch-norm on running statistics; exact Hessian blocks for piecewise-linear networks) or gradient-difference (central differences of the loss gradient, batch-norm on batch statistics; swamped by ReLUs flipping within the step on real networks, kept for comparison).")]
    public HessianEstimator HessianEstimator { get; set; } = HessianEstimator.OutputDifference;

    [Option("hessian-step", HelpText = "hawq: relative finite-difference step ρ (each unit moves by ρ·‖W‖); default 1e-3 (output-difference), 1e-5 (gradient-difference).")]
    public double? HessianStep { get; set; }

    [Option("random-draws", HelpText = "random: allocations drawn; the one of largest size within the budgets is kept.")]
    public int RandomDraws { get; set; } = 100;

    [Option("size-mb", Required = true, HelpText = "Model size budget in MiB (weights at their widths, fixed layers at 8 bits).")]
    public double SizeMb { get; set; }

    [Option("bitops-g", HelpText = "Optional BitOps budget in G (MACs·weight bits·activation bits).")]
    public double? BitOpsG { get; set; }

    [Option("beta", HelpText = "θ = exp(−β·γ). Default per model/mode: resnet18 QAT 10, PTQ 100; resnet50 3.3; mobilenetv2 0.")]
    public double? Beta { get; set; }

    [Option("bits", HelpText = "Allowed weight widths MIN..MAX within 2..8 (default QAT 4..8, PTQ 2..4).")]
    public string? Bits { get; set; }

    [Option("coefficients", HelpText = "suffix-mean: mean θ of this and later units; theta: θ itself.")]
    public CoefficientRule Coefficients { get; set; } = CoefficientRule.SuffixMean;

    [Option("act-bits", HelpText = "Activation width used in BitOps (fixed layers count 8×8).")]
    public int ActBits { get; set; } = 8;

    [Option("device", HelpText = "Backend id (see `ompq devices`).")]
    public string Device { get; set; } = "cpu";

    [Option("threads", HelpText = "CPU backend threads (0 = all cores).")]
    public int Threads { get; set; }

    [Option("seed", HelpText = "Seed of synthetic images, IDX image draw, random weights, hawq's probes and random's draws.")]
    public int Seed { get; set; }

    [Option("orm-form", HelpText = "How each unit enters the ORM: gram (n×n), feature (n×d), auto (feature form when d < n).")]
    public OrmForm OrmForm { get; set; } = OrmForm.Auto;

    [Option("bn", HelpText = "Batch-norm with running statistics (eval: deterministic) or with the batch's own statistics (batch: the reference code's behaviour).")]
    public BatchNormMode BatchNorm { get; set; } = BatchNormMode.Eval;

    [Option("accounting", HelpText = "PTQ's stem and classifier pinned at 8 bits (pinned) or searched in the bit range and counted at their width (reference: the reference code's PTQ accounting).")]
    public SizeAccounting Accounting { get; set; } = SizeAccounting.Pinned;

    [Option("preprocess", HelpText = "Image normalisation. imagenet: ImageNet mean/std on RGB (grey models: the dataset's mean/std); cntk-bgr: BGR 0-255 minus the CNTK ResNet-18 ONNX's means; none: pixels in [0,1]. Never implied by --onnx.")]
    public Preprocessing Preprocess { get; set; } = Preprocessing.Imagenet;

    [Option("memory-limit-gb", HelpText = "Refuse a search whose estimated peak memory exceeds this many GiB (default: 3/4 of physical memory).")]
    public double? MemoryLimitGb { get; set; }

    [Option("out", HelpText = "Write the JSON report to this file.")]
    public string? Out { get; set; }

    [Option("plots", HelpText = "Write the ORM heatmap (orm.png/.svg) and the bits per unit (bits.png/.svg) into this folder.")]
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
        string? modelName = Model is null ? null : ModelZoo.Resolve(Model);
        if (modelName is null && Onnx is null)
            throw new InvalidInputException($"no network given: expected --model {string.Join("|", ModelZoo.Names)} or --onnx FILE");
        var bits = Bits is null ? BitRange.Default(Mode) : BitRange.Parse(Bits);
        var hessian = new HessianOptions(HessianProbes, HessianEstimator, HessianStep, Seed);
        hessian.Validate();
        BatchLoader.CheckCounts(Images, InputSize);
        PlotFiles.CheckFolder(Plots, "--plots");
        if (Onnx is not null && Weights is not null)
            throw new InvalidInputException("--weights and --onnx both given: the ONNX file carries its own weights, expected one of them");
        ResourceLimits limits = Limits is null ? ResourceLimits.Default : ResourceLimits.Parse(Limits, "--limits");
        // Fail on an unusable output path now rather than after the search; a report inside the --plots folder
        // is fine even when that folder does not exist yet, because it is created before anything is written.
        if (Out is not null && !IsInsidePlotsFolder(Out)) AtomicFile.CheckWritable(Out);
        double beta = Beta ?? SearchOptions.DefaultBeta(modelName ?? ModelZoo.Names[0], Mode);
        var options = new SearchOptions(Mode, SizeMb, beta, bits, BitOpsG, Coefficients, ActBits, OrmForm, BatchNorm, Accounting);

        using GraphModel model = LoadModel(modelName, limits, out string weightsDescription);
        var (channels, height, width) = model.InputShape;
        if (height != width) throw new InvalidInputException($"model input {height}×{width} is not square; expected a square input");
        // A size the ONNX graph declares is the model's, not an option the user passed.
        string sizeOrigin = InputSize is null && Onnx is not null ? $"input size declared by '{Onnx}'" : "--input-size";
        if (Method is SearchMethod.Uniform or SearchMethod.Random)
        {
            // No data: these allocations depend on the budgets (and the seed) only.
            using IKernels none = BackendRegistry.Create(Device, Threads);
            var baseline = Method == SearchMethod.Uniform
                ? BaselineSearch.Uniform(model, options, none.Info.Id)
                : BaselineSearch.Random(model, options, none.Info.Id, Seed, RandomDraws);
            return Report(context, baseline, $"none ({EnumSpelling.Of(Method)} reads no images)", weightsDescription, setup.Elapsed.TotalSeconds, memory: null);
        }
        // The memory plan sizes OMPQ's feature pass; the Hessian baseline runs plain forwards of the same batch.
        model.CheckBatch(Images, limits, $"--images {Images}");
        SearchMemoryPlan? memory = Method == SearchMethod.Ompq ? PlanMemory(model, options) : null;
        using IKernels kernels = BackendRegistry.Create(Device, Threads);
        LabelledSearchBatch.Batch? labelled = Method == SearchMethod.Hawq
            ? LabelledSearchBatch.Load(Data, DataDir, Images, model, Seed, EnumSpelling.Of(Method))
            : null;
        ImageBatch batch = labelled?.Images ?? BatchLoader.Load(new BatchLoader.Request(Data, DataDir, Images, channels, height, Seed, Preprocess, sizeOrigin, limits));
        using Tensor input = Tensor.FromHost(kernels, batch.Pixels, batch.Count, channels, height, width);
        double setupSeconds = setup.Elapsed.TotalSeconds;

        var progress = new ProgressLine(context.Error, context.InteractiveError && !Json);
        SearchResult result;
        try
        {
            result = labelled is not null
                ? BaselineSearch.Hawq(model, input, labelled.Labels, options, hessian,
                    (done, count) => progress.Show($"hessian probe {done}/{count}", always: done == count))
                : OmpqSearch.Run(model, input, options, (unit, count, name) => progress.Show($"features {unit + 1}/{count} {name}", always: true),
                    memory!.ImagesPerForward);
        }
        finally
        {
            progress.Clear();
        }
        return Report(context, result, batch.Description, weightsDescription, setupSeconds, memory);
    }

    private int Report(CliContext context, SearchResult result, string data, string weightsDescription, double setupSeconds, SearchMemoryPlan? memory)
    {
        // Everything is rendered before anything is written, so a failure leaves no partial output.
        byte[] json = SearchReportJson.Write(result, new SearchReportJson.Context(Seed, data, weightsDescription, setupSeconds, EnumSpelling.Of(Preprocess)));
        PlotFiles? plots = Plots is null ? null : SearchPlots.Render(result);
        if (Plots is not null) PlotFiles.CreateFolder(Plots, "--plots"); // before the report, which may go inside it
        if (Out is not null) AtomicFile.Write(Out, json);
        plots?.WriteTo(Plots!, "--plots");

        if (Json)
        {
            context.Out.Write(System.Text.Encoding.UTF8.GetString(json));
            // The table prints warnings itself; with --json they are in the report and, so nobody misses them, on stderr.
            foreach (string warning in result.Warnings) context.Error.WriteLine($"warning: {warning}");
        }
        else if (result.Method != SearchMethod.Ompq) BaselineSummary.Write(context.Out, result, data, weightsDescription);
        else
        {
            SearchSummary.Write(context.Out, result, data, weightsDescription);
            context.Out.WriteLine(MemoryLine(memory!));
        }
        if (plots?.Warning is { } plotWarning) context.Error.WriteLine($"warning: {plotWarning}");
        return Cli.Ok;
    }

    /// <summary>
    /// The search's estimated peak memory against the limit, before any image is loaded: a search that cannot fit
    /// even in chunks is refused with the largest --images that fits.
    /// </summary>
    private SearchMemoryPlan PlanMemory(GraphModel model, SearchOptions options)
    {
        if (MemoryLimitGb is { } gb && !(gb > 0 && double.IsFinite(gb)))
            throw new InvalidInputException($"--memory-limit-gb {gb.ToString(CultureInfo.InvariantCulture)} is invalid: expected a positive number of GiB");
        long physical = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        long limit = MemoryLimitGb is { } given ? (long)(given * (1L << 30)) : physical / 4 * 3;
        string limitSource = MemoryLimitGb is null ? $"3/4 of the {Gib(physical)} GiB this process may use; --memory-limit-gb overrides it" : "--memory-limit-gb";
        var plan = SearchMemory.Plan(model, options, Images, limit);
        if (plan.Bytes <= limit) return plan;
        int fits = SearchMemory.LargestImagesThatFit(model, options, Images, limit);
        string parts = string.Join(", ", plan.Parts.Take(3).Select(part => $"{part.Part} {Gib(part.Bytes)}"));
        throw new InvalidInputException(
            $"--images {Images} needs an estimated {Gib(plan.Bytes)} GiB ({parts}{(plan.Chunked ? $", in forwards of {plan.ImagesPerForward} images" : "")}), more than the limit of {Gib(limit)} GiB ({limitSource}); " +
            (fits > 0 ? $"expected --images {fits} or fewer" : $"expected a larger --memory-limit-gb: not even {BatchLoader.MinImages} images fit"));
    }

    private static string MemoryLine(SearchMemoryPlan plan)
    {
        string peak = ProcessMemory.PeakResidentBytes() is { } rss ? $", peak resident {Gib(rss)} GiB" : "";
        string chunks = plan.Chunked ? $"; features in forwards of {plan.ImagesPerForward} images (pairs of chunks) to fit the limit" : "";
        return $"memory: estimated {Gib(plan.Bytes)} GiB{peak}{chunks}";
    }

    private static string Gib(long bytes) => (bytes / (double)(1L << 30)).ToString("0.00", CultureInfo.InvariantCulture);

    private GraphModel LoadModel(string? modelName, ResourceLimits limits, out string weightsDescription)
    {
        if (Onnx is not null && !File.Exists(Onnx)) throw new InvalidInputException($"--onnx '{Onnx}' does not exist; expected an .onnx model file");
        if (Weights is not null && !File.Exists(Weights))
            throw new InvalidInputException($"--weights '{Weights}' does not exist; expected a safetensors or PyTorch state-dict file");
        weightsDescription = Onnx is not null ? $"ONNX {Path.GetFileName(Onnx)}"
            : Weights is null ? $"seeded random initialisation (seed {Seed}; no --weights)" : Path.GetFileName(Weights);
        return ModelFiles.Open(Onnx ?? modelName!, Weights, InputSize, Seed, limits, onnx: Onnx is not null);
    }

    private bool IsInsidePlotsFolder(string path)
        => Plots is not null && string.Equals(Path.GetDirectoryName(Path.GetFullPath(path)),
            Path.GetFullPath(Plots).TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal);
}
