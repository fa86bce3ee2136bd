using System.Globalization;
using System.Text.Json;
using CommandLine;
using CommandLine.Text;
using Ompq.Benchmarking;
using Ompq.Host;
using Ompq.Host.Verbs;
using Ompq.Kernels;
using Ompq.Kernels.Cpu;
using Ompq.Runtime;
using Ompq.Runtime.Device;
using Ompq.Runtime.Io;

namespace Ompq.BenchCli;

[Verb("bench", HelpText = "Time every kernel on a backend beside libtorch on the same shapes and inputs, in interleaved rounds; outputs are compared first. Prints ours, libtorch and the median ratio with its spread.")]
public sealed class BenchVerb : IVerb
{
    [Usage(ApplicationAlias = "ompq")]
    public static IEnumerable<Example> Examples =>
    [
        new("A quick pass over a subset of the shapes (about a minute on 2 cores)", new BenchVerb { Quick = true }),
        new("The training ops only, results also as JSON", new BenchVerb { Filter = "training", Json = "out/bench.json" }),
        new("One case, more rounds for a tighter ratio", new BenchVerb { Filter = "gemm 1024", Rounds = 9 }),
    ];

    [Option("device", Default = "cpu", HelpText = "Backend to measure: cpu | ilgpu-cpu | cuda | opencl.")]
    public string Device { get; set; } = "cpu";

    [Option("quick", HelpText = "A small subset of the shapes (about a minute on 2 cores).")]
    public bool Quick { get; set; }

    [Option("filter", HelpText = "Only cases whose 'op shape' contains this text, or of this suite (e.g. training).")]
    public string? Filter { get; set; }

    [Option("threads", Default = 0, HelpText = "Threads for both sides (0 = all cores).")]
    public int Threads { get; set; }

    [Option("rounds", Default = 5, HelpText = "Interleaved rounds per case: each round times ours then libtorch (or the reverse, alternating); the ratio is the median of the rounds' ratios.")]
    public int Rounds { get; set; } = 5;

    [Option("min-time", Default = 0.3, HelpText = "Seconds spent timing each side of each case, over all rounds together (median reported).")]
    public double MinTime { get; set; } = 0.3;

    [Option("json", HelpText = "Also write one record per case to this JSON file.")]
    public string? Json { get; set; }

    [Option("verbose", HelpText = "Show stack traces of errors.")]
    public bool Verbose { get; set; }

    public int Execute(CliContext context)
    {
        if (Threads < 0) throw new InvalidInputException($"--threads must be >= 0, got {Threads}");
        if (!(MinTime > 0)) throw new InvalidInputException($"--min-time must be a positive number of seconds, got {MinTime}");
        if (Rounds < 1) throw new InvalidInputException($"--rounds must be >= 1, got {Rounds}");
        int threads = Threads == 0 ? Environment.ProcessorCount : Threads;
        var cases = BenchCatalog.All(Quick)
            .Where(c => c.Matches(Filter)).ToList();
        if (cases.Count == 0) throw new InvalidInputException($"--filter '{Filter}' matches no benchmark case; expected text of an op or shape (e.g. gemm, conv, 3x3) or a suite name (e.g. training)");
        // Fail on an unusable output path now rather than after the measurements.
        if (Json is not null) AtomicFile.CheckWritable(Json);

        using IKernels kernels = BackendRegistry.Create(Device, threads);
        TorchSharp.torch.set_num_threads(threads);
        double peak = FmaPeak.MeasureGflops(threads);
        var machine = MachineDescription.Current;
        string? isa = kernels is CpuKernels cpu ? CpuIsas.Name(cpu.Isa) : null;
        context.Out.WriteLine($"CPU: {machine}");
        context.Out.WriteLine(Invariant(
            $"{kernels.Info.Id}{(isa is null ? $" ({kernels.Info.DeviceName})" : $", {isa} path")} vs libtorch, {threads} threads; fp32 FMA peak {peak:F0} GFLOP/s ({FmaPeak.WidthBits}-bit FMA, {threads} threads)"));
        context.Out.WriteLine(Invariant(
            $"{Rounds} interleaved rounds per case, at least {MinTime:G3} s per side; ratio = libtorch time / ours (median of rounds, q1–q3 beside it); outputs compared before timing"));

        var records = new List<BenchRecord>();
        var errors = new List<(BenchCase Case, string Message)>();
        var table = new TextTable("op", "shape", ">ours ms", ">libtorch ms", ">ratio", ">ratio q1–q3", ">max err", ">ours GFLOP/s", ">% peak");
        var progress = new ProgressLine(context.Error, context.InteractiveError);
        for (int i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            progress.Show($"[{i + 1}/{cases.Count}] {c.Id}", always: true);
            try
            {
                var r = CaseMeasurement.Measure(c, kernels, Rounds, MinTime, peak);
                records.Add(r);
                table.Add(r.Op, r.Shape, F(r.OursMs, 3), F(r.LibtorchMs, 3), F(r.Ratio, 2), Invariant($"{r.RatioQ1:F2}–{r.RatioQ3:F2}"),
                    Error(r), F(r.OursGflops, 1), F(r.OursPercentOfPeak, 0));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                string message = e is OutputMismatchException ? e.Message : $"{c.Id}: {e.GetType().Name}: {e.Message}";
                errors.Add((c, message));
                progress.Clear();
                context.Error.WriteLine($"error: {message}");
                if (Verbose) context.Error.WriteLine(e);
                table.Add(c.Op, c.Shape, "error", "", "", "", "", "", "");
            }
        }
        progress.Clear();
        table.Write(context.Out);

        if (Json is not null)
        {
            var document = new
            {
                device = kernels.Info.Id,
                device_name = kernels.Info.DeviceName,
                isa,
                cpu = new { model_name = machine.ModelName, family = machine.Family, model = machine.Model, architecture = machine.Architecture, logical_cores = machine.LogicalCores },
                threads,
                peak_gflops = peak,
                peak_fma_bits = FmaPeak.WidthBits,
                rounds = Rounds,
                min_time_s = MinTime,
                records,
                errors = errors.Select(e => new { op = e.Case.Op, shape = e.Case.Shape, message = e.Message }),
            };
            AtomicFile.Write(Json, JsonSerializer.SerializeToUtf8Bytes(document, new JsonSerializerOptions { WriteIndented = true }));
        }
        if (errors.Count == 0) return Cli.Ok;
        context.Error.WriteLine($"error: {errors.Count} of {cases.Count} cases failed: {string.Join(", ", errors.Select(e => e.Case.Id))}");
        return Cli.InternalError;
    }

    /// <summary>The table's error cell: the largest error relative to libtorch's largest value, "—" when not compared.</summary>
    private static string Error(BenchRecord r) => !r.Compared || r.MaxRelError is not { } rel
        ? "—"
        : r.QuantFlips is > 0 ? Invariant($"{rel:0.0e+0} ({r.QuantFlips} ties)") : Invariant($"{rel:0.0e+0}");

    private static string F(double value, int decimals) => value.ToString("F" + decimals, CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
