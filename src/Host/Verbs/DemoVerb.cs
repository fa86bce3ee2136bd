using System.Globalization;
using System.Text.Json;
using CommandLine;
using CommandLine.Text;
using Ompq.Host.Reports;
using Ompq.Host.Reproduction;
using Ompq.Runtime;
using Ompq.Runtime.Training;

namespace Ompq.Host.Verbs;

/// <summary>
/// The first five minutes: the committed Fashion-MNIST float baseline through search → PTQ → evaluation → export with
/// the same verbs a user runs, then a short report of what changed and where every file went.
/// </summary>
[Verb("demo", HelpText = "Search, quantize (PTQ), evaluate and export the committed resnet20 Fashion-MNIST baseline; prints bits per layer, size and top-1 before/after.")]
public sealed class DemoVerb : IVerb
{
    [Usage(ApplicationAlias = "ompq")]
    public static IEnumerable<Example> Examples =>
    [
        new("Search, quantize, evaluate and export the committed baseline (about a minute on 2 cores)", new DemoVerb()),
        new("A tighter budget: the searched layers average 3 bits", new DemoVerb { AverageBits = 3, OutDir = "out/demo-3bit" }),
    ];

    [Option("weights", Default = "models/resnet20-fashion-mnist.safetensors", HelpText = "Float checkpoint to quantize.")]
    public string Weights { get; set; } = "models/resnet20-fashion-mnist.safetensors";

    [Option("out-dir", Default = "out/demo", HelpText = "Folder for the search report, plots, the quantized checkpoint and the exported model.")]
    public string OutDir { get; set; } = "out/demo";

    [Option("average-bits", Default = 4.0, HelpText = "Size budget as the average weight width of the searched layers.")]
    public double AverageBits { get; set; } = 4.0;

    [Option("bits", Default = "2..6", HelpText = "Weight widths the search may assign.")]
    public string Bits { get; set; } = "2..6";

    [Option("data-dir", HelpText = "Folder of the Fashion-MNIST IDX files (default: where the Debian package puts them).")]
    public string? DataDir { get; set; }

    [Option("calibration", Default = 512, HelpText = "Calibration images of the PTQ.")]
    public int Calibration { get; set; } = 512;

    [Option("iterations", Default = 100, HelpText = "Reconstruction steps per block of the PTQ (the reproduction runs 200).")]
    public int Iterations { get; set; } = 100;

    [Option("test-limit", HelpText = "Evaluate on the first N test images only (default: the whole test set).")]
    public int? TestLimit { get; set; }

    [Option("json", HelpText = "Print the report as JSON.")]
    public bool Json { get; set; }

    [Option("verbose", HelpText = "Show stack traces of errors.")]
    public bool Verbose { get; set; }

    public int Execute(CliContext context)
    {
        if (!(AverageBits >= 2 && AverageBits <= 8)) throw new InvalidInputException($"--average-bits must be in 2..8, got {AverageBits}");
        var checkpoint = TrainingCheckpoint.Load(Weights);
        if (!checkpoint.Quantization.IsEmpty) throw new InvalidInputException($"{Weights}: is quantized; the demo starts from a float checkpoint");
        Directory.CreateDirectory(OutDir);
        string report = Path.Combine(OutDir, "search.json"), plots = Path.Combine(OutDir, "plots");
        string quantized = Path.Combine(OutDir, "ptq.safetensors"), exported = Path.Combine(OutDir, "model.ompq.safetensors");
        // The demo owns these names in its folder: a rerun replaces them (the verbs refuse to overwrite on their own).
        foreach (var file in new[] { report, quantized, exported }) File.Delete(file);

        double budget;
        using (var model = checkpoint.CreateModel(Weights)) budget = ReproductionPlan.BudgetMiB(model, Regime.Ptq, AverageBits);
        string data = checkpoint.Dataset;
        string[] dataDir = DataDir is null ? [] : ["--data-dir", DataDir];
        string[] limit = TestLimit is { } n ? ["--limit", n.ToString(CultureInfo.InvariantCulture)] : [];
        var steps = new List<string[]>();
        JsonElement Step(string title, string[] args)
        {
            context.Error.WriteLine($"== {title}: {ReproductionPlan.Format(args)}");
            steps.Add(args);
            return ReproductionRunner.Invoke(args, out _, context.Error, context.InteractiveError && !Json);
        }

        var before = Step("float model", ["eval", "--weights", Weights, "--data", data, .. dataDir, .. limit, "--json"]);
        var search = Step("OMPQ search", ["search", "--model", checkpoint.Model.Name, "--weights", Weights, "--data", data, .. dataDir,
            "--mode", "ptq", "--bits", Bits, "--size-mb", budget.ToString("R", CultureInfo.InvariantCulture), "--plots", plots, "--out", report, "--json"]);
        // A short reconstruction (the reproduction runs the full one): the demo is meant to finish in about a minute.
        Step("post-training quantization", ["ptq", "--weights", Weights, "--data", data, .. dataDir, "--bits-from", report,
            "--iterations", Iterations.ToString(CultureInfo.InvariantCulture), "--calibration", Calibration.ToString(CultureInfo.InvariantCulture),
            "--no-test", "--out", quantized, "--json"]);
        var after = Step("quantized model", ["eval", "--weights", quantized, "--data", data, .. dataDir, .. limit, "--json"]);
        Step("export", ["export", "--weights", quantized, "--out", exported, "--json"]);

        var summary = new DemoSummary(checkpoint.Model.Name, data, after.GetProperty("images").GetInt32(),
            before.GetProperty("top1").GetDouble(), after.GetProperty("top1").GetDouble(),
            FloatSizeMiB(search), search.GetProperty("size_mib").GetDouble(), budget,
            search.GetProperty("units").EnumerateArray().Select(u => (u.GetProperty("name").GetString()!, u.GetProperty("params").GetInt64(), u.GetProperty("bits").GetInt32())).ToList(),
            SearchSeconds(search), new FileInfo(exported).Length, report, plots, quantized, exported);
        if (Json) context.Out.Write(summary.Json());
        else summary.Write(context.Out);
        return Cli.Ok;
    }

    private static double FloatSizeMiB(JsonElement search)
    {
        long parameters = search.GetProperty("units").EnumerateArray().Sum(u => u.GetProperty("params").GetInt64());
        if (search.TryGetProperty("fixed", out var f)) parameters += f.GetProperty("params").GetInt64();
        return parameters * 4.0 / (1 << 20);
    }

    private static double SearchSeconds(JsonElement search)
    {
        return search.GetProperty("timings_s").GetProperty("total").GetDouble();
    }
}
