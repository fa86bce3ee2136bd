using System.Diagnostics;
using System.Globalization;
using System.Text;
using Ompq.Benchmarking;
using Ompq.Host.Reports;
using Ompq.Kernels.Cpu;

namespace Ompq.Bench;

/// <summary>
/// The training-step table of bench/README.md: ours and libtorch steps interleaved (one of each per round, so load
/// changes on a shared machine hit both alike), medians, images/s, ours/libtorch, % of the fp32 FMA peak on the
/// conv + linear FLOPs (<see cref="TrainingStepFlops"/>), and the peak RSS of each side training alone in a fresh
/// process (<see cref="MeasurePeakRss"/>, run as a child so the other side's memory is not counted).
/// </summary>
public static class TrainingComparison
{
    public const string MemoryFlag = "--training-memory";
    private const int MemorySteps = 5;

    public static string Run(double peakGflops, int rounds)
    {
        int threads = Environment.ProcessorCount;
        TorchSharp.torch.set_num_threads(threads);
        using var kernels = new CpuKernels(threads);
        using var model = TrainingWorkload.CreateModel();
        var (forwardFlops, stepFlops) = TrainingStepFlops.Count(model, TrainingWorkload.Batch);
        var images = TrainingWorkload.Images(model);
        var labels = TrainingWorkload.Labels();
        using var libtorch = new LibtorchTrainingStep(model, images, labels);
        using var ours = new OursTrainingStep(model, kernels, images, labels);

        // Same weights and batch: the first step's losses must agree to fp32 rounding.
        ours.Run();
        float oursLoss = ours.LastLoss();
        float torchLoss = libtorch.RunAndReadLoss();
        Console.WriteLine(FormattableString.Invariant($"first-step loss: ours {oursLoss:F6}, libtorch {torchLoss:F6}"));
        for (int i = 0; i < 2; i++)
        {
            ours.Run();
            libtorch.Run();
        }

        var oursSeconds = new List<double>();
        var torchSeconds = new List<double>();
        // libtorch on one thread as well: on a loaded machine its 2-thread OpenMP regions can stall at barriers while
        // a worker waits for a core, and the one-thread figure shows how much of its time that is.
        var torchSingleSeconds = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            oursSeconds.Add(Time(ours.Run));
            torchSeconds.Add(Time(libtorch.Run));
            if (threads == 1) continue;
            TorchSharp.torch.set_num_threads(1);
            torchSingleSeconds.Add(Time(libtorch.Run));
            TorchSharp.torch.set_num_threads(threads);
        }
        double oursMedian = Median(oursSeconds), torchMedian = Median(torchSeconds);
        // Other jobs depress a peak measured once; the best of two measurements is closer to what the cores can do.
        peakGflops = Math.Max(peakGflops, FmaPeak.MeasureGflops(threads));
        long? oursRss = MeasureInChild("ours"), torchRss = MeasureInChild("libtorch");

        double oursImages = TrainingWorkload.Batch / oursMedian, torchImages = TrainingWorkload.Batch / torchMedian;
        var sb = new StringBuilder();
        sb.AppendLine(FormattableString.Invariant(
            $"{TrainingWorkload.Description}, {threads} threads; {rounds} interleaved rounds, medians; step = {stepFlops / 1e9:F2} GFLOP (forward {forwardFlops / 1e9:F2}); fp32 FMA peak {peakGflops:F0} GFLOP/s"));
        sb.AppendLine();
        sb.AppendLine("| side | step ms (median) | min–max ms | images/s | ours ÷ this (images/s) | GFLOP/s | % of peak | peak RSS MiB |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        sb.AppendLine(Row($"ours (cpu backend), {threads} threads", oursSeconds, oursImages, 1.0, stepFlops, peakGflops, oursRss));
        sb.AppendLine(Row($"libtorch (TorchSharp), {threads} threads", torchSeconds, torchImages, oursImages / torchImages, stepFlops, peakGflops, torchRss));
        if (torchSingleSeconds.Count > 0)
        {
            double singleImages = TrainingWorkload.Batch / Median(torchSingleSeconds);
            sb.AppendLine(Row("libtorch (TorchSharp), 1 thread", torchSingleSeconds, singleImages, oursImages / singleImages, stepFlops, peakGflops, null));
        }
        return sb.ToString();
    }

    /// <summary>Child-process entry: builds one side, trains <see cref="MemorySteps"/> steps, prints VmHWM in bytes.</summary>
    public static int MeasurePeakRss(string side)
    {
        int threads = Environment.ProcessorCount;
        using var model = TrainingWorkload.CreateModel();
        var images = TrainingWorkload.Images(model);
        var labels = TrainingWorkload.Labels();
        if (side == "ours")
        {
            using var kernels = new CpuKernels(threads);
            using var step = new OursTrainingStep(model, kernels, images, labels);
            for (int i = 0; i < MemorySteps; i++) step.Run();
        }
        else if (side == "libtorch")
        {
            TorchSharp.torch.set_num_threads(threads);
            using var step = new LibtorchTrainingStep(model, images, labels);
            for (int i = 0; i < MemorySteps; i++) step.Run();
        }
        else
        {
            Console.Error.WriteLine($"{MemoryFlag} takes ours or libtorch, got '{side}'");
            return 2;
        }
        Console.WriteLine(ProcessMemory.PeakResidentBytes()?.ToString(CultureInfo.InvariantCulture) ?? "unknown");
        return 0;
    }

    private static long? MeasureInChild(string side)
    {
        // Under `dotnet Ompq.Bench.dll` the process is the dotnet host, which needs the assembly as its first argument.
        string host = Environment.ProcessPath!;
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(typeof(TrainingComparison).Assembly.Location);
        start.ArgumentList.Add(MemoryFlag);
        start.ArgumentList.Add(side);
        using var child = Process.Start(start)!;
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        string last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
        return child.ExitCode == 0 && long.TryParse(last.Trim(), CultureInfo.InvariantCulture, out long bytes) ? bytes : null;
    }

    private static string Row(string side, List<double> seconds, double imagesPerSecond, double ratio, double flops, double peak, long? rss)
    {
        double median = Median(seconds);
        string memory = rss is { } b ? (b / 1048576.0).ToString("F0", CultureInfo.InvariantCulture) : "–";
        return FormattableString.Invariant(
            $"| {side} | {median * 1e3:F1} | {seconds.Min() * 1e3:F1}–{seconds.Max() * 1e3:F1} | {imagesPerSecond:F0} | {ratio:F2} | {flops / median / 1e9:F1} | {100 * flops / median / 1e9 / peak:F0} | {memory} |");
    }

    private static double Time(Action step)
    {
        long start = Stopwatch.GetTimestamp();
        step();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        int n = sorted.Count;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
