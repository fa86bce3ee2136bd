using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CommandLine;
using CommandLine.Text;
using Ompq.Host.Data;
using Ompq.Kernels.Cpu.Integer;
using Ompq.Runtime;
using Ompq.Runtime.Inference;

namespace Ompq.Host.Verbs;

/// <summary>
/// A service's view of an exported model: N client threads each send batch-1 Predict calls back to back for a fixed
/// time on one shared <see cref="QuantizedModel"/>; reports throughput, latency percentiles and managed bytes
/// allocated per call (after a warm-up that fills the workspace pool).
/// </summary>
[Verb("serve-bench", HelpText = "Concurrent batch-1 Predict load on an exported model: throughput, p50/p99 latency, allocations per call.")]
public sealed class ServeBenchVerb : IVerb
{
    [Usage(ApplicationAlias = "ompq")]
    public static IEnumerable<Example> Examples =>
    [
        new("Four concurrent clients for 10 s, figures as JSON", new ServeBenchVerb { Model = "resnet20-w4a8.safetensors", Clients = 4, Seconds = 10, Json = true }),
    ];

    [Option("model", Required = true, HelpText = "Model written by `ompq export` (.safetensors).")]
    public string Model { get; set; } = "";

    [Option("clients", Default = 2, HelpText = "Concurrent client threads.")]
    public int Clients { get; set; } = 2;

    [Option("seconds", Default = 5.0, HelpText = "Measured time (after a warm-up of a tenth of it, at most 1 s).")]
    public double Seconds { get; set; } = 5.0;

    [Option("threads", Default = 1, HelpText = "Workers per Predict call (1 suits concurrent clients).")]
    public int Threads { get; set; } = 1;

    [Option("isa", HelpText = "Integer kernel path: vnni | avx2 | portable (default: the best this CPU runs).")]
    public string? Isa { get; set; }

    [Option("json", HelpText = "Print JSON ({throughput, p50_ms, p99_ms, ...}) on stdout.")]
    public bool Json { get; set; }

    [Option("verbose", HelpText = "Show stack traces of errors.")]
    public bool Verbose { get; set; }

    public int Execute(CliContext context)
    {
        if (Clients < 1 || Clients > 256) throw new InvalidInputException($"--clients must be in 1..256, got {Clients}");
        if (!(Seconds > 0) || Seconds > 3600) throw new InvalidInputException($"--seconds must be in (0, 3600], got {Seconds.ToString(CultureInfo.InvariantCulture)}");
        if (Threads < 1) throw new InvalidInputException($"--threads must be >= 1, got {Threads}");
        using var model = QuantizedModel.Load(Model, InferVerb.Options(Isa, Threads));
        var result = Run(model, Clients, Seconds);
        if (Json)
        {
            var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                json.WriteStartObject();
                json.WriteString("model", model.Name);
                json.WriteString("isa", IntegerIsas.Name(model.Isa));
                json.WriteNumber("clients", Clients);
                json.WriteNumber("threads_per_call", Threads);
                json.WriteNumber("seconds", result.Seconds);
                json.WriteNumber("requests", result.Requests);
                json.WriteNumber("throughput", result.Throughput);
                json.WriteNumber("p50_ms", result.P50Ms);
                json.WriteNumber("p99_ms", result.P99Ms);
                json.WriteNumber("max_ms", result.MaxMs);
                json.WriteNumber("allocated_bytes_per_call", result.AllocatedBytesPerCall);
                json.WriteEndObject();
            }
            context.Out.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        }
        else
        {
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{model.Name} ({IntegerIsas.Name(model.Isa)}), {Clients} clients × batch 1, {result.Seconds:F1} s: {result.Throughput:F0} requests/s, p50 {result.P50Ms:F3} ms, p99 {result.P99Ms:F3} ms, {result.AllocatedBytesPerCall:F1} B allocated per call"));
        }
        return Cli.Ok;
    }

    public sealed record Result(double Seconds, long Requests, double Throughput, double P50Ms, double P99Ms, double MaxMs, double AllocatedBytesPerCall);

    /// <summary>The measurement itself (also used by the benchmark tables).</summary>
    public static Result Run(QuantizedModel model, int clients, double seconds)
    {
        var images = new float[16 * model.ImageSize];
        new SyntheticImages(16, model.InputShape, seed: 1).Read(Enumerable.Range(0, 16).ToArray(), images, new int[16]);
        var latencies = new List<long>[clients];
        var allocated = new long[clients];
        var counts = new long[clients];
        double warmup = Math.Min(1.0, seconds / 10);
        long measureTo = 0;
        // Every client warms up first; the measured window starts when the last one is done, so a slow warm-up on a
        // loaded machine shortens nothing.
        using var warmed = new Barrier(clients, _ => Volatile.Write(ref measureTo, Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency)));
        var threads = Enumerable.Range(0, clients).Select(client => new Thread(() =>
        {
            var logits = new float[model.OutputsPerImage];
            var mine = latencies[client] = new List<long>(1 << 16);
            int image = client;
            long warmUntil = Stopwatch.GetTimestamp() + (long)(warmup * Stopwatch.Frequency);
            // Some calls whatever the clock says: each client's first call creates its pooled workspace, and the
            // first few dozen run code the JIT is still replacing by optimized code.
            for (int warm = 0; warm < 50 || Stopwatch.GetTimestamp() < warmUntil; warm++)
            {
                model.Predict(images.AsSpan(image % 16 * model.ImageSize, model.ImageSize), logits);
                image++;
            }
            warmed.SignalAndWait();
            long end = Volatile.Read(ref measureTo);
            long before = GC.GetAllocatedBytesForCurrentThread();
            long calls = 0;
            while (true)
            {
                long t0 = Stopwatch.GetTimestamp();
                if (t0 >= end) break;
                model.Predict(images.AsSpan(image % 16 * model.ImageSize, model.ImageSize), logits);
                long t1 = Stopwatch.GetTimestamp();
                if (mine.Count < mine.Capacity) mine.Add(t1 - t0);
                calls++;
                image++;
            }
            allocated[client] = GC.GetAllocatedBytesForCurrentThread() - before;
            counts[client] = calls;
        }) { IsBackground = true }).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        var all = latencies.SelectMany(l => l).Order().ToArray();
        long requests = counts.Sum();
        double ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        double percentile(double p) => all.Length == 0 ? 0 : ms(all[Math.Min(all.Length - 1, (int)Math.Ceiling(p * all.Length) - 1)]);
        return new Result(seconds, requests, requests / seconds, percentile(0.50), percentile(0.99), all.Length == 0 ? 0 : ms(all[^1]),
            requests == 0 ? 0 : (double)allocated.Sum() / requests);
    }
}
