using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Ompq.Benchmarking;
using Ompq.Kernels.Cpu;

namespace Ompq.Bench;

/// <summary>
/// Runs the kernel benchmarks with BenchmarkDotNet (in-process: its out-of-process toolchain would copy the
/// unpatched libLibTorchSharp.so) and, with --write-readme, rewrites the results table in bench/README.md.
///   dotnet run -c Release --project bench/Ompq.Bench -- [--quick] [--filter TEXT] [--write-readme]
///   dotnet run -c Release --project bench/Ompq.Bench -- --search      (the whole ResNet-18 search and its phases)
///   dotnet run -c Release --project bench/Ompq.Bench -- --training [--rounds N]   (a resnet20 training step)
///   dotnet run -c Release --project bench/Ompq.Bench -- --inference [--rounds N] [--threads T]   (quantized inference vs fp32 and ONNX Runtime)
/// Anything else on the command line goes to BenchmarkDotNet's own switcher (e.g. --list flat).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 2 && args[0] == TrainingComparison.MemoryFlag) return TrainingComparison.MeasurePeakRss(args[1]);
        var rest = new List<string>(args);
        KernelBenchmarks.Quick = Take(rest, "--quick");
        bool writeReadme = Take(rest, "--write-readme");
        KernelBenchmarks.Filter = TakeValue(rest, "--filter");
        bool search = Take(rest, "--search");
        bool training = Take(rest, "--training");
        string? rounds = TakeValue(rest, "--rounds");
        if (Take(rest, "--inference"))
        {
            int threads = int.Parse(TakeValue(rest, "--threads") ?? Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            string onnx = TakeValue(rest, "--onnx") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
                ".nuget/packages/microsoft.ml.dnnimagefeaturizer.resnet18/0.23.1/tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx");
            string resnet20 = TakeValue(rest, "--resnet20") ?? Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(FindReadme()))!, "models", "resnet20-fashion-mnist.safetensors");
            Console.WriteLine(InferenceComparison.Run(rounds is null ? 9 : int.Parse(rounds, CultureInfo.InvariantCulture), threads, onnx, resnet20));
            return 0;
        }

        var job = Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithId("ShortRun-InProcess");
        var config = ManualConfig.Create(DefaultConfig.Instance).AddJob(job).WithOptions(ConfigOptions.DisableOptimizationsValidator);

        double peak = FmaPeak.MeasureGflops(Environment.ProcessorCount);
        Console.WriteLine($"CPU: {MachineDescription.Current}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ours on the {CpuIsas.Name(CpuIsas.Default)} path; fp32 FMA peak on {Environment.ProcessorCount} threads: {peak:F1} GFLOP/s ({FmaPeak.WidthBits}-bit FMA)"));

        if (search)
        {
            // The search benchmark reports its phases as separate rows; BenchmarkDotNet's table is the result.
            BenchmarkRunner.Run<SearchBenchmarks>(config, rest.ToArray());
            return 0;
        }

        if (training)
        {
            // Steps of ~0.1–1 s: one invocation per iteration (ShortRun's unroll of 16 would make each iteration
            // take many seconds) and more iterations than ShortRun, for a stable median on a shared machine.
            var stepJob = Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithId("Step-InProcess")
                .WithInvocationCount(1).WithUnrollFactor(1).WithWarmupCount(3).WithIterationCount(15);
            var stepConfig = ManualConfig.Create(DefaultConfig.Instance).AddJob(stepJob).WithOptions(ConfigOptions.DisableOptimizationsValidator);
            BenchmarkRunner.Run<TrainingBenchmarks>(stepConfig, rest.ToArray());
            Console.WriteLine(TrainingComparison.Run(peak, rounds is null ? 15 : int.Parse(rounds, CultureInfo.InvariantCulture)));
            return 0;
        }

        var summary = BenchmarkRunner.Run<KernelBenchmarks>(config, rest.ToArray());
        var records = ToRecords(summary, peak);
        string table = BenchTable.Markdown(records);
        Console.WriteLine(table);
        if (writeReadme) ReadmeTable.Write(FindReadme(), table, peak, KernelBenchmarks.Quick);
        return records.Count > 0 ? 0 : 1;
    }

    private static List<BenchRecord> ToRecords(Summary summary, double peak)
    {
        var catalog = BenchCatalog.All(KernelBenchmarks.Quick);
        var order = catalog.Select((c, i) => (c.Id, i)).ToDictionary(x => x.Id, x => x.i);
        var records = new List<(int Order, BenchRecord Record)>();
        foreach (var group in summary.Reports.GroupBy(r => (string)r.BenchmarkCase.Parameters["Case"]))
        {
            double? ours = Median(group, nameof(KernelBenchmarks.Ours));
            double? torch = Median(group, nameof(KernelBenchmarks.Libtorch));
            if (ours is null || torch is null) continue;
            var record = BenchRecord.From(catalog[order[group.Key]], ours.Value, torch.Value, peak);
            if (KernelBenchmarks.Comparisons.TryGetValue(group.Key, out var comparison))
                record = record with
                {
                    Compared = comparison.Compared,
                    MaxAbsError = comparison.MaxAbsError,
                    MaxRelError = comparison.MaxRelError,
                    QuantFlips = comparison.QuantFlips,
                };
            records.Add((order[group.Key], record));
        }
        return records.OrderBy(r => r.Order).Select(r => r.Record).ToList();
    }

    private static double? Median(IEnumerable<BenchmarkReport> reports, string method)
    {
        var report = reports.FirstOrDefault(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method);
        return report?.ResultStatistics is { } s ? s.Median / 1e9 : null;
    }

    private static string FindReadme()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "bench", "README.md");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("bench/README.md not found above " + AppContext.BaseDirectory);
    }

    private static bool Take(List<string> args, string flag) => args.Remove(flag);

    private static string? TakeValue(List<string> args, string flag)
    {
        int i = args.IndexOf(flag);
        if (i < 0 || i + 1 >= args.Count) return null;
        string value = args[i + 1];
        args.RemoveRange(i, 2);
        return value;
    }
}
