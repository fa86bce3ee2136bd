using System.Globalization;
using CommandLine;
using CommandLine.Text;
using Ompq.Host.Reproduction;
using Ompq.Runtime;
using Ompq.Runtime.Device;
using Ompq.Runtime.Io;
using Ompq.Runtime.Training;

namespace Ompq.Host.Verbs;

/// <summary>
/// The reproduction table (issue 9, spec §8–9): every allocation method at equal size budgets, recovered by PTQ and by
/// a short QAT fine-tune, several seeds, each result evaluated on the whole test set; results.jsonl makes it
/// resumable, table.md and README.md get the table.
/// </summary>
[Verb("reproduce", HelpText = "Run every allocation method × PTQ/QAT × seeds from the float baseline, evaluate each, write the table (resumable).")]
public sealed class ReproduceVerb : IVerb
{
    [Usage(ApplicationAlias = "ompq")]
    public static IEnumerable<Example> Examples =>
    [
        new("The whole table from the committed baseline (hours on 2 cores; rerun the same command to resume)", new ReproduceVerb()),
        new("One regime, two methods, one seed and budget, without touching README.md",
            new ReproduceVerb { Regimes = "ptq", Methods = "ompq,uniform", Seeds = 1, PtqBudgets = "3", NoReadme = true, OutDir = "out/reproduce-quick" }),
    ];

    [Option("weights", Default = "models/resnet20-fashion-mnist.safetensors", HelpText = "Float checkpoint to quantize.")]
    public string Weights { get; set; } = "models/resnet20-fashion-mnist.safetensors";

    [Option("data", HelpText = "fashion-mnist | mnist | <folder>; default: the checkpoint's dataset.")]
    public string? Data { get; set; }

    [Option("data-dir", HelpText = "Folder of the IDX files for fashion-mnist / mnist.")]
    public string? DataDir { get; set; }

    [Option("out-dir", Default = "runs/reproduce", HelpText = "Folder of every cell's report, checkpoint and results.jsonl (reused to resume).")]
    public string OutDir { get; set; } = "runs/reproduce";

    [Option("methods", Default = "ompq,hawq,uniform,random", HelpText = "Allocation methods to compare.")]
    public string Methods { get; set; } = "ompq,hawq,uniform,random";

    [Option("regimes", Default = "ptq,qat", HelpText = "ptq and/or qat.")]
    public string Regimes { get; set; } = "ptq,qat";

    [Option("seeds", Default = 3, HelpText = "Seeds per method at the table budgets (calibration / fine-tune order; random's allocation).")]
    public int Seeds { get; set; } = 3;

    [Option("ptq-budgets", Default = "2.5,3,3.5", HelpText = "PTQ budgets as average weight widths (2..4-bit search).")]
    public string PtqBudgets { get; set; } = "2.5,3,3.5";

    [Option("ptq-table-budget", Default = 3.0, HelpText = "The PTQ budget of the table (one of --ptq-budgets).")]
    public double PtqTableBudget { get; set; } = 3.0;

    [Option("qat-budgets", Default = "3.5,4,4.5", HelpText = "QAT budgets as average weight widths (2..6-bit search).")]
    public string QatBudgets { get; set; } = "3.5,4,4.5";

    [Option("qat-table-budget", Default = 4.0, HelpText = "The QAT budget of the table (one of --qat-budgets).")]
    public double QatTableBudget { get; set; } = 4.0;

    [Option("qat-images", Default = 5000, HelpText = "Training images of the short QAT fine-tune.")]
    public int QatImages { get; set; } = 5000;

    [Option("qat-epochs", Default = 1, HelpText = "Epochs of the short QAT fine-tune.")]
    public int QatEpochs { get; set; } = 1;

    [Option("search-images", Default = 32, HelpText = "Images in each search's batch.")]
    public int SearchImages { get; set; } = 32;

    [Option("qat-lr", Default = 0.002f, HelpText = "Peak learning rate of the short QAT fine-tune (0.01 diverged with 2-bit layers).")]
    public float QatLr { get; set; } = 0.002f;

    [Option("ptq-iterations", Default = 200, HelpText = "Reconstruction steps per block of each PTQ.")]
    public int PtqIterations { get; set; } = 200;

    [Option("calibration", Default = 1024, HelpText = "Calibration images of each PTQ.")]
    public int Calibration { get; set; } = 1024;

    [Option("readme", Default = "README.md", HelpText = "README whose reproduce section gets the table (--no-readme to skip).")]
    public string Readme { get; set; } = "README.md";

    [Option("figures-dir", Default = "docs/reproduce", HelpText = "Folder (next to the README) for the plots and table the README links to.")]
    public string FiguresDir { get; set; } = "docs/reproduce";

    [Option("no-readme", HelpText = "Write table.md only.")]
    public bool NoReadme { get; set; }

    [Option("verbose", HelpText = "Show stack traces of errors.")]
    public bool Verbose { get; set; }

    public int Execute(CliContext context)
    {
        var checkpoint = TrainingCheckpoint.Load(Weights);
        if (!checkpoint.Quantization.IsEmpty) throw new InvalidInputException($"{Weights}: is quantized; --weights takes a float checkpoint");
        string data = Data ?? checkpoint.Dataset;
        var methods = Methods.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct().ToArray();
        foreach (var m in methods)
            if (!ReproductionPlan.AllMethods.Contains(m))
                throw new InvalidInputException($"--methods: '{m}' is unknown; expected a comma-separated subset of {string.Join(",", ReproductionPlan.AllMethods)}");
        var regimes = Regimes.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct().Select(r => r switch
        {
            "ptq" => Regime.Ptq,
            "qat" => Regime.Qat,
            _ => throw new InvalidInputException($"--regimes: '{r}' is unknown; expected ptq, qat or ptq,qat"),
        }).ToArray();
        if (methods.Length == 0 || regimes.Length == 0) throw new InvalidInputException("--methods and --regimes need at least one entry each");
        if (Seeds < 1 || Seeds > 100) throw new InvalidInputException($"--seeds must be in 1..100, got {Seeds}");
        var budgets = new Dictionary<Regime, double[]>
        {
            [Regime.Ptq] = ReproductionPlan.ParseBudgets(PtqBudgets, "--ptq-budgets"),
            [Regime.Qat] = ReproductionPlan.ParseBudgets(QatBudgets, "--qat-budgets"),
        };
        var table = new Dictionary<Regime, double> { [Regime.Ptq] = PtqTableBudget, [Regime.Qat] = QatTableBudget };
        foreach (var regime in regimes)
            if (!budgets[regime].Contains(table[regime]))
                throw new InvalidInputException($"--{ReproductionTable.Name(regime)}-table-budget {table[regime]} is not one of --{ReproductionTable.Name(regime)}-budgets");

        using var model = checkpoint.CreateModel(Weights);
        var plan = new ReproductionPlan
        {
            FloatSizeMiB = FloatSizeMiB(model),
            Weights = Weights, Model = checkpoint.Model.Name, Data = data, DataDir = DataDir, OutDir = OutDir, Methods = methods, Regimes = regimes,
            Seeds = Seeds, Budgets = budgets, TableBudget = table, QatImages = QatImages, QatEpochs = QatEpochs, SearchImages = SearchImages,
            PtqIterations = PtqIterations, Calibration = Calibration, QatLr = QatLr,
        };
        Directory.CreateDirectory(OutDir);
        var results = new ReproductionResults(Path.Combine(OutDir, "results.jsonl"));
        var cells = plan.Cells().ToList();
        var runner = new ReproductionRunner(plan);
        var references = References(plan, context);
        int done = 0;
        foreach (var cell in cells)
        {
            done++;
            if (results.Contains(cell.Key)) continue;
            double budget = ReproductionPlan.BudgetMiB(model, cell.Regime, cell.AverageBits);
            context.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{done}/{cells.Count}] {cell.Key}: budget {budget:F4} MiB ..."));
            var result = runner.Run(cell, budget);
            results.Add(result);
            if (result.Failure is not null)
            {
                context.Error.WriteLine($"[{done}/{cells.Count}] {cell.Key}: failed: {result.Failure}");
                continue;
            }
            context.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[{done}/{cells.Count}] {cell.Key}: top-1 {result.Top1 * 100:F2} %, {result.SizeMiB:F4} MiB, search {result.SearchSeconds:F1} s, recovery {result.RecoverySeconds:F0} s"));
        }

        string machine;
        using (var cpu = BackendRegistry.Create("cpu", 0)) machine = $"{Environment.ProcessorCount} cores of {cpu.Info.DeviceName}";
        // The figures go where the README can link to them (inside its repository), not among the run's checkpoints.
        string figures = NoReadme ? OutDir : FiguresDir;
        Directory.CreateDirectory(figures);
        string? plot = ReproductionPlot.Write(plan, results.All, figures);
        string readmeDir = Path.GetDirectoryName(Path.GetFullPath(Readme)) ?? ".";
        string markdown = ReproductionTable.Markdown(plan, results.All, references, machine,
            plot is null ? null : Path.GetRelativePath(readmeDir, plot).Replace('\\', '/'));
        AtomicFile.Write(Path.Combine(OutDir, "table.md"), System.Text.Encoding.UTF8.GetBytes(markdown));
        if (!NoReadme) File.Copy(Path.Combine(OutDir, "results.jsonl"), Path.Combine(figures, "results.jsonl"), overwrite: true);
        if (!NoReadme)
        {
            if (!File.Exists(Readme)) throw new InvalidInputException($"--readme '{Readme}' does not exist (pass --no-readme to skip it)");
            AtomicFile.Write(Readme, System.Text.Encoding.UTF8.GetBytes(ReproductionTable.Splice(File.ReadAllText(Readme), markdown)));
        }
        context.Out.Write(markdown);
        return Cli.Ok;
    }

    /// <summary>fp32 size under the search's accounting: every conv/linear weight and bias, 2·C per batch-norm.</summary>
    private static double FloatSizeMiB(Ompq.Runtime.Nn.Graph.GraphModel model)
        => model.WeightLayers.Sum(l => l.ParamCount(model.Parameters)) * 4.0 / (1 << 20);

    /// <summary>The float model and uniform 8-bit PTQ without reconstruction, evaluated once and kept in the results.</summary>
    private List<ReproductionTable.Reference> References(ReproductionPlan plan, CliContext context)
    {
        var list = new List<ReproductionTable.Reference>();
        var evalFloat = plan.EvalCommand(plan.Weights);
        var floatResult = ReproductionRunner.Invoke(evalFloat, out _);
        string u8 = Path.Combine(plan.OutDir, "reference-ptq-u8.safetensors");
        var ptq8 = new[] { "ptq", "--weights", plan.Weights, "--data", plan.Data, "--uniform-bits", "8", "--no-reconstruction", "--no-test", "--out", u8, "--json" };
        if (!File.Exists(u8))
        {
            context.Error.WriteLine("references: uniform 8-bit PTQ without reconstruction ...");
            ReproductionRunner.Invoke(ptq8, out _);
        }
        var eval8 = plan.EvalCommand(u8);
        var u8Result = ReproductionRunner.Invoke(eval8, out _);
        double floatMiB = plan.FloatSizeMiB;
        list.Add(new("float (fp32)", floatResult.GetProperty("top1").GetDouble(), floatMiB, ReproductionPlan.Format(evalFloat)));
        list.Add(new("uniform 8-bit weights and activations, PTQ, no reconstruction", u8Result.GetProperty("top1").GetDouble(), floatMiB / 4,
            ReproductionPlan.Format(ptq8) + "\n" + ReproductionPlan.Format(eval8)));
        return list;
    }
}
