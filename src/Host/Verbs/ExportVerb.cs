using System.Globalization;
using System.Text.Json;
using CommandLine;
using CommandLine.Text;
using Ompq.Host.Data;
using Ompq.Kernels;
using Ompq.Runtime;
using Ompq.Runtime.Device;
using Ompq.Runtime.Export;
using Ompq.Runtime.Inference;
using Ompq.Runtime.Io;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Quantization;
using Ompq.Runtime.Training;

namespace Ompq.Host.Verbs;

/// <summary>
/// Writes a quantized model for deployment: weights packed at their own widths with per-channel scales, activation
/// grids, the graph and the bit configuration (<see cref="QuantizedModelFile"/>), and optionally the ONNX QDQ form.
/// A QAT/PTQ checkpoint carries its bits and grids; a float checkpoint or an ONNX model takes --uniform-bits or
/// --bits-from and has its activation grids calibrated on --calibration images.
/// </summary>
[Verb("export", HelpText = "Export a quantized model (packed safetensors for `ompq infer` / QuantizedModel, optional ONNX QDQ).")]
public sealed class ExportVerb : IVerb
{
    [Usage(ApplicationAlias = "ompq")]
    public static IEnumerable<Example> Examples =>
    [
        new("Export a QAT checkpoint (it carries its bits and activation grids), with its ONNX QDQ form", new ExportVerb { Weights = "qat.safetensors", Out = "resnet20-w4a8.safetensors", Onnx = "resnet20-w4a8.onnx" }),
        new("Export the float baseline at 4-bit weights, activations calibrated on 256 training images", new ExportVerb { Weights = "models/resnet20-fashion-mnist.safetensors", UniformBits = 4, Out = "resnet20-w4.safetensors" }),
    ];

    [Option("weights", Required = true, HelpText = "Checkpoint (.safetensors from `ompq train`, `qat` or `ptq`) or an .onnx model.")]
    public string Weights { get; set; } = "";

    [Option("uniform-bits", SetName = "uniform", HelpText = "Float model: weight width of every conv/linear layer but the first and the classifier (8), 2..8.")]
    public int? UniformBits { get; set; }

    [Option("bits-from", SetName = "report", HelpText = "Float model: search report (`ompq search --out`) whose unit bits the layers take.")]
    public string? BitsFrom { get; set; }

    [Option("act-bits", Default = 8, HelpText = "Float model: width of the calibrated input activations, 2..8 (the image stays at 8).")]
    public int ActBits { get; set; } = 8;

    [Option("calibration", Default = 256, HelpText = "Float model: images whose activation ranges set the grids.")]
    public int Calibration { get; set; } = 256;

    [Option("data", HelpText = "Calibration images: fashion-mnist | mnist | <folder> | synthetic; default: the checkpoint's dataset (synthetic for ONNX).")]
    public string? Data { get; set; }

    [Option("data-dir", HelpText = "Folder of the IDX files for fashion-mnist / mnist.")]
    public string? DataDir { get; set; }

    [Option("input-size", HelpText = "ONNX model: square input side (default: the graph's).")]
    public int? InputSize { get; set; }

    [Option("out", Required = true, HelpText = "Quantized model file to write (.safetensors).")]
    public string Out { get; set; } = "";

    [Option("onnx", HelpText = "Also write the model in ONNX QDQ form here.")]
    public string? Onnx { get; set; }

    [Option("json", HelpText = "Print a JSON summary on stdout.")]
    public bool Json { get; set; }

    [Option("verbose", HelpText = "Show stack traces of errors.")]
    public bool Verbose { get; set; }

    public int Execute(CliContext context)
    {
        if (UniformBits is { } u && (u < 2 || u > 8)) throw new InvalidInputException($"--uniform-bits must be in 2..8, got {u}");
        if (ActBits < 2 || ActBits > 8) throw new InvalidInputException($"--act-bits must be in 2..8, got {ActBits}");
        if (Calibration < 1) throw new InvalidInputException($"--calibration must be >= 1, got {Calibration}");
        AtomicFile.CheckWritable(Out);
        if (Onnx is not null)
        {
            AtomicFile.CheckWritable(Onnx);
            if (Path.GetFullPath(Onnx) == Path.GetFullPath(Out)) throw new InvalidInputException("--onnx and --out name the same file");
        }
        if (!File.Exists(Weights)) throw new InvalidInputException($"--weights '{Weights}': no such file");

        using GraphModel model = LoadQuantized();
        var network = QuantizedNetwork.From(model);
        // Compile once before writing: a graph the integer engine cannot run is refused here, not at `ompq infer`.
        using (QuantizedModel.Create(network)) { }
        QuantizedModelFile.Write(Out, network);
        if (Onnx is not null) OnnxQdqExport.Write(Onnx, network);

        long weights = network.Layers.Values.Sum(l => l.Codes.LongLength);
        long bytes = new FileInfo(Out).Length;
        var widths = network.Layers.Values.Select(l => l.WeightBits).ToArray();
        if (Json)
        {
            var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                json.WriteStartObject();
                json.WriteString("model", network.Name);
                json.WriteString("out", Out);
                if (Onnx is not null) json.WriteString("onnx", Onnx);
                json.WriteNumber("bytes", bytes);
                json.WriteNumber("fp32_weight_bytes", 4 * weights);
                json.WriteNumber("layers", network.Layers.Count);
                json.WriteStartObject("weight_bits");
                foreach (var layer in network.Layers.Values) json.WriteNumber(layer.Name, layer.WeightBits);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            context.Out.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        }
        else
        {
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{network.Name}: {network.Layers.Count} layers at {widths.Min()}..{widths.Max()} bits → {Out} ({bytes / 1024.0:F1} KiB; fp32 weights {4.0 * weights / 1024:F1} KiB){(Onnx is null ? "" : $", ONNX QDQ → {Onnx}")}"));
        }
        return Cli.Ok;
    }

    /// <summary>The batch-norm-folded model with weight widths and input grids for every conv/linear layer.</summary>
    private GraphModel LoadQuantized()
    {
        if (Weights.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            using var imported = ModelFiles.Open(Weights, inputSize: InputSize);
            return Quantize(imported.FoldBatchNorm(), Data ?? "synthetic", null);
        }
        if (InputSize is not null) throw new InvalidInputException("--input-size applies to ONNX models only; a checkpoint records its input size");
        var checkpoint = TrainingCheckpoint.Load(Weights);
        if (!checkpoint.Quantization.IsEmpty)
        {
            if (UniformBits is not null || BitsFrom is not null)
                throw new InvalidInputException($"{Weights}: is a quantized checkpoint and carries its own bits; drop --uniform-bits / --bits-from");
            if (!checkpoint.BatchNormFolded || !checkpoint.Quantization.QuantizesActivations)
                throw new InvalidInputException($"{Weights}: quantizes weights only (no folded batch-norm or activation grids); export needs a QAT/PTQ checkpoint with activations, or a float checkpoint with --uniform-bits");
            return checkpoint.CreateModel(Weights);
        }
        using var unfolded = checkpoint.CreateModel(Weights);
        return Quantize(unfolded.FoldBatchNorm(), Data ?? checkpoint.Dataset, checkpoint);
    }

    private GraphModel Quantize(GraphModel folded, string data, TrainingCheckpoint? checkpoint)
    {
        try
        {
            if (UniformBits is null == BitsFrom is null)
                throw new InvalidInputException($"{Weights}: a float model needs exactly one of --uniform-bits B (2..8) or --bits-from REPORT.json");
            var bits = QuantizationBits.Choose(folded, UniformBits, BitsFrom);
            folded.SetQuantization(QuantizationConfig.WeightsOnly(bits));
            var (c, h, w) = folded.InputShape;
            ILabelledImages images = data == "synthetic"
                ? new SyntheticImages(Calibration, (c, h, w))
                : LabelledDataSets.Open(data, DataSplit.Train, DataDir, h);
            using IKernels kernels = BackendRegistry.Create("cpu", 0);
            folded.SetQuantization(ActivationCalibration.Calibrate(folded, kernels, images, Calibration, ActBits));
            return folded;
        }
        catch
        {
            folded.Dispose();
            throw;
        }
    }
}
