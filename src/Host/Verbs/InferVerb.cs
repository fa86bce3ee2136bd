using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CommandLine;
using CommandLine.Text;
using Ompq.Host.Data;
using Ompq.Kernels;
using Ompq.Kernels.Cpu.Integer;
using Ompq.Runtime;
using Ompq.Runtime.Inference;
using Ompq.Runtime.Training;

namespace Ompq.Host.Verbs;

/// <summary>Predictions of an exported quantized model on images (integer kernels); top-1 when the images are labelled.</summary>
[Verb("infer", HelpText = "Run an exported quantized model on images (fashion-mnist | mnist | IDX file | folder); --json for machine output.")]
public sealed class InferVerb : IVerb
{
    [Usage(ApplicationAlias = "ompq")]
    public static IEnumerable<Example> Examples =>
    [
        new("Top-1 of an exported model on the Fashion-MNIST test set, as JSON", new InferVerb { Model = "resnet20-w4a8.safetensors", Data = "fashion-mnist", Json = true }),
        new("The three best classes of each image of an IDX file", new InferVerb { Model = "resnet20-w4a8.safetensors", Data = "images-idx3-ubyte", Top = 3 }),
    ];

    [Option("model", Required = true, HelpText = "Model written by `ompq export` (.safetensors).")]
    public string Model { get; set; } = "";

    [Option("data", Required = true, HelpText = "fashion-mnist | mnist | an IDX image file (labels beside it are used when found) | an image folder.")]
    public string Data { get; set; } = "";

    [Option("data-dir", HelpText = "Folder of the IDX files for fashion-mnist / mnist.")]
    public string? DataDir { get; set; }

    [Option("split", Default = "test", HelpText = "test | train (dataset names and split folders).")]
    public string Split { get; set; } = "test";

    [Option("normalization", Default = "fashion-mnist", HelpText = "IDX files: fashion-mnist | mnist | none (how the model's training images were normalized).")]
    public string Normalization { get; set; } = "fashion-mnist";

    [Option("limit", HelpText = "Only the first N images.")]
    public int? Limit { get; set; }

    [Option("batch", Default = 64, HelpText = "Images per Predict call.")]
    public int Batch { get; set; } = 64;

    [Option("top", Default = 1, HelpText = "Classes listed per image.")]
    public int Top { get; set; } = 1;

    [Option("threads", Default = 0, HelpText = "Workers per call (0 = all cores).")]
    public int Threads { get; set; }

    [Option("isa", HelpText = "Integer kernel path: vnni | avx2 | portable (default: the best this CPU runs).")]
    public string? Isa { get; set; }

    [Option("json", HelpText = "Print JSON ({top1, images, predictions, ...}) on stdout.")]
    public bool Json { get; set; }

    [Option("verbose", HelpText = "Show stack traces of errors.")]
    public bool Verbose { get; set; }

    public int Execute(CliContext context)
    {
        if (Batch < 1) throw new InvalidInputException($"--batch must be >= 1, got {Batch}");
        if (Limit is < 1) throw new InvalidInputException($"--limit must be >= 1, got {Limit}");
        if (Threads < 0) throw new InvalidInputException($"--threads must be >= 0, got {Threads}");
        using var model = QuantizedModel.Load(Model, Options(Isa, Threads == 0 ? Environment.ProcessorCount : Threads));
        if (Top < 1 || Top > model.OutputsPerImage) throw new InvalidInputException($"--top must be in 1..{model.OutputsPerImage}, got {Top}");
        var (images, labelled) = OpenImages(model);
        int count = Math.Min(images.Count, Limit ?? int.MaxValue);
        var (c, h, w) = images.ImageShape;
        if ((c, h, w) != model.InputShape)
            throw new InvalidInputException($"--data '{Data}' holds {c}×{h}×{w} images, model '{model.Name}' reads {model.InputShape.Channels}×{model.InputShape.Height}×{model.InputShape.Width}");
        int size = model.ImageSize, classes = model.OutputsPerImage;
        var pixels = new float[(long)Math.Min(Batch, count) * size];
        var labels = new int[count];
        var logits = new float[(long)Math.Min(Batch, count) * classes];
        var top = new int[(long)count * Top];
        var topLogits = new float[(long)count * Top];
        var clock = Stopwatch.StartNew();
        int correct = 0;
        for (int start = 0; start < count; start += Batch)
        {
            int n = Math.Min(Batch, count - start);
            var indices = Enumerable.Range(start, n).ToArray();
            images.Read(indices, pixels.AsSpan(0, n * size), labels.AsSpan(start, n));
            model.Predict(pixels.AsSpan(0, n * size), logits.AsSpan(0, n * classes));
            for (int i = 0; i < n; i++)
            {
                var row = logits.AsSpan(i * classes, classes);
                var best = top.AsSpan((start + i) * Top, Top);
                QuantizedModel.TopK(row, best);
                for (int k = 0; k < Top; k++) topLogits[(start + i) * Top + k] = row[best[k]];
                if (best[0] == labels[start + i]) correct++;
            }
        }
        double seconds = clock.Elapsed.TotalSeconds;
        double? top1 = labelled ? (double)correct / count : null;
        if (Json) WriteJson(context, model, images.Name, count, top1, seconds, top, topLogits, labelled ? labels : null);
        else
        {
            for (int i = 0; i < count; i++)
            {
                var classesText = string.Join(" ", Enumerable.Range(0, Top).Select(k => string.Create(CultureInfo.InvariantCulture, $"{top[i * Top + k]}:{topLogits[i * Top + k]:F3}")));
                context.Out.WriteLine(labelled ? $"{i}\t{classesText}\tlabel {labels[i]}" : $"{i}\t{classesText}");
            }
            string accuracy = top1 is { } t ? string.Create(CultureInfo.InvariantCulture, $", top-1 {t * 100:F2}% ({correct}/{count})") : "";
            context.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{model.Name} ({IntegerIsas.Name(model.Isa)}) on {images.Name}: {count} images in {seconds:F2} s{accuracy}"));
        }
        return Cli.Ok;
    }

    internal static QuantizedModelOptions Options(string? isa, int threads)
    {
        IntegerIsa? path = null;
        if (isa is not null)
        {
            try { path = IntegerIsas.Parse(isa); }
            catch (KernelArgumentException e) { throw new InvalidInputException($"--isa: {e.Message.Replace(IntegerIsas.Variable + "=", "")}", e); }
        }
        return new QuantizedModelOptions { Isa = path, Threads = threads };
    }

    private (ILabelledImages Images, bool Labelled) OpenImages(QuantizedModel model)
    {
        var split = Split.ToLowerInvariant() switch
        {
            "test" => DataSplit.Test,
            "train" => DataSplit.Train,
            _ => throw new InvalidInputException($"--split '{Split}' is unknown: expected test or train"),
        };
        if (File.Exists(Data))
        {
            var normalization = Normalization.ToLowerInvariant() switch
            {
                "fashion-mnist" => Ompq.Host.Data.Normalization.FashionMnist,
                "mnist" => Ompq.Host.Data.Normalization.Mnist,
                "none" => Ompq.Host.Data.Normalization.None,
                _ => throw new InvalidInputException($"--normalization '{Normalization}' is unknown: expected fashion-mnist, mnist or none"),
            };
            var idx = IdxImages.Read(Data);
            string? labelsPath = LabelsBeside(Data);
            if (labelsPath is not null)
                return (LabelledDataSets.FromIdxFiles(Path.GetFileName(Data), Data, labelsPath, model.OutputsPerImage, normalization), true);
            if (!idx.IsUnsignedByte) throw new InvalidInputException($"{Data}: unlabelled IDX files must hold unsigned bytes");
            return (new InMemoryLabelledImages(Path.GetFileName(Data), idx.UnsignedBytes, (1, idx.Rows, idx.Columns), new int[idx.Count], model.OutputsPerImage, normalization), false);
        }
        return (LabelledDataSets.Open(Data, split, DataDir, model.InputShape.Height), true);
    }

    /// <summary>"…-images-idx3-ubyte[.gz]" → "…-labels-idx1-ubyte[.gz]" when that file exists.</summary>
    private static string? LabelsBeside(string imagesPath)
    {
        string name = Path.GetFileName(imagesPath);
        if (!name.Contains("images", StringComparison.Ordinal)) return null;
        string candidate = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(imagesPath))!, name.Replace("images", "labels").Replace("idx3", "idx1"));
        return File.Exists(candidate) ? candidate : null;
    }

    private void WriteJson(CliContext context, QuantizedModel model, string data, int count, double? top1, double seconds, int[] top, float[] topLogits, int[]? labels)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("model", model.Name);
            json.WriteString("data", data);
            json.WriteString("isa", IntegerIsas.Name(model.Isa));
            json.WriteNumber("images", count);
            if (top1 is { } t) json.WriteNumber("top1", t);
            json.WriteNumber("seconds", seconds);
            json.WriteStartArray("predictions");
            for (int i = 0; i < count; i++)
            {
                json.WriteStartObject();
                json.WriteNumber("index", i);
                json.WriteNumber("class", top[i * Top]);
                if (labels is not null) json.WriteNumber("label", labels[i]);
                json.WriteStartArray("top");
                for (int k = 0; k < Top; k++)
                {
                    json.WriteStartObject();
                    json.WriteNumber("class", top[i * Top + k]);
                    json.WriteNumber("logit", topLogits[i * Top + k]);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        context.Out.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }
}
