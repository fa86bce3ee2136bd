using System.Globalization;
using System.Text.Json;
using CommandLine;
using CommandLine.Text;
using Ompq.Benchmarking;
using Ompq.Host;
using Ompq.Host.Verbs;
using Ompq.Kernels;
using Ompq.Runtime;
using Ompq.Runtime.Device;
using Ompq.Runtime.Io;

namespace Ompq.BenchCli;

[Verb("bench", HelpText = "Time every kernel on a backend beside libtorch on the same shapes; prints ours, libtorch and the ratio.")]
public sealed class BenchVerb : IVerb
{
    [Usage(ApplicationAlias = "ompq")]
    public static IEnumerable<Example> Examples =>
    [
        new("A quick pass over a subset of the shapes (about a minute on 2 cores)", new BenchVerb { Quick = true }),
        new("The training ops only, results also as JSON", new BenchVerb { Filter = "training", Json = "out/bench.json" }),
    ];

    [Option("device", Default = "cpu", HelpText = "Backend to measure: cpu | ilgpu-cpu | cuda | opencl.")]
    public string Device { get; set; } = "cpu";

    [Option("quick", HelpText = "A small subset of the shapes (about a minute on 2 cores).")]
    public bool Quick { get; set; }

    [Option("filter", HelpText = "Only cases whose 'op shape' contains this text, or of this suite (e.g. training).")]
    public string? Filter { get; set; }

    [Option("threads", Default = 0, HelpText = "Threads for both sides (0 = all cores).")]
    public int Threads { get; set; }

    [Option("min-time", Default = 0.3, HelpText = "Seconds spent timing each side of each case (median reported).")]
    public double MinTime { get; set; }

    [Option("json", HelpText = "Also write one record per case to this JSON file.")]
    public string? Json { get; set; }

    [Option("verbose", HelpText = "Show stack traces of errors.")]
    public bool Verbose { get; set; }

    public int Execute(CliContext context)
    {
        if (Threads < 0) throw new InvalidInputException($"--threads must be >= 0, got {Threads}");
        if (!(MinTime > 0)) throw new InvalidInputException($"--min-time must be a positive number of seconds, got {MinTime}");
        int threads = Threads == 0 ? Environment.ProcessorCount : Threads;
        var cases = BenchCatalog.All(Quick)
            .Where(c => c.Matches(Filter)).ToList();
        if (cases.Count == 0) throw new InvalidInputException($"--filter '{Filter}' matches no benchmark case; expected text of an op or shape (e.g. gemm, conv, 3x3) or a suite name (e.g. training)");
        // Fail on an unusable output path now rather than after the measurements.
        if (Json is not null) AtomicFile.CheckWritable(Json);

        using IKernels kernels = BackendRegistry.Create(Device, threads);
        TorchSharp.torch.set_num_threads(threads);
        double peak = FmaPeak.MeasureGflops(threads);
        context.Error.WriteLine(FormattableString.Invariant(
            $"{kernels.Info.Id} ({kernels.Info.DeviceName}) vs libtorch, {threads} threads; fp32 FMA peak {peak:F0} GFLOP/s"));

        var records = new List<BenchRecord>();
        var table = new TextTable("op", "shape", ">ours ms", ">libtorch ms", ">ours GFLOP/s", ">libtorch GFLOP/s", ">ours/libtorch", ">% peak");
        var progress = new ProgressLine(context.Error, context.InteractiveError);
        for (int i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            progress.Show($"[{i + 1}/{cases.Count}] {c.Id}", always: true);
            double ours, torch;
            using (var runner = c.Ours(kernels)) ours = BenchTimer.MedianSeconds(runner, MinTime);
            using (var runner = c.Libtorch()) torch = BenchTimer.MedianSeconds(runner, MinTime);
            var r = BenchRecord.From(c, ours, torch, peak);
            records.Add(r);
            table.Add(r.Op, r.Shape, F(r.OursMs, 3), F(r.LibtorchMs, 3), F(r.OursGflops, 1), F(r.LibtorchGflops, 1), F(r.Ratio, 2), F(r.OursPercentOfPeak, 0));
        }
        progress.Clear();
        table.Write(context.Out);

        if (Json is not null)
        {
            var document = new { device = kernels.Info.Id, threads, peak_gflops = peak, records };
            AtomicFile.Write(Json, JsonSerializer.SerializeToUtf8Bytes(document, new JsonSerializerOptions { WriteIndented = true }));
        }
        return Cli.Ok;
    }

    private static string F(double value, int decimals) => value.ToString("F" + decimals, CultureInfo.InvariantCulture);
}
