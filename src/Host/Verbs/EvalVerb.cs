using System.Globalization;
using System.Text.Json;
using CommandLine;
using CommandLine.Text;
using Ompq.Host.Data;
using Ompq.Kernels;
using Ompq.Runtime;
using Ompq.Runtime.Device;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Training;

namespace Ompq.Host.Verbs;

[Verb("eval", HelpText = "Top-1 accuracy and loss of a checkpoint on a labelled test set (float, or with fake-quantized weights).")]
public sealed class EvalVerb : IVerb
{
    [Usage(ApplicationAlias = "ompq")]
    public static IEnumerable<Example> Examples =>
    [
        new("Top-1 of the float baseline on the Fashion-MNIST test set", new EvalVerb { Weights = "models/resnet20-fashion-mnist.safetensors" }),
        new("The same weights fake-quantized to 4 bits, on the first 1000 test images", new EvalVerb { Weights = "models/resnet20-fashion-mnist.safetensors", UniformBits = 4, Limit = 1000 }),
    ];

    [Option("weights", Required = true, HelpText = "Checkpoint written by `ompq train` (.safetensors).")]
    public string Weights { get; set; } = "";

    [Option("data", HelpText = "fashion-mnist | mnist | <folder>; default: the dataset the checkpoint was trained on.")]
    public string? Data { get; set; }

    [Option("data-dir", HelpText = "Folder of the IDX files for fashion-mnist / mnist.")]
    public string? DataDir { get; set; }

    [Option("split", HelpText = "Which images of the dataset to evaluate.")]
    public DataSplit Split { get; set; } = DataSplit.Test;

    [Option("limit", HelpText = "Evaluate the first N images only.")]
    public int? Limit { get; set; }

    [Option("batch", Default = 256, HelpText = "Images per forward pass.")]
    public int Batch { get; set; }

    [Option("uniform-bits", HelpText = "Fake-quantize every conv/linear weight (BN folded) to this width, 2..8, per output channel.")]
    public int? UniformBits { get; set; }

    [Option("device", Default = "cpu", HelpText = "Backend id (see `ompq devices`).")]
    public string Device { get; set; } = "cpu";

    [Option("threads", Default = 0, HelpText = "CPU backend threads (0 = all cores).")]
    public int Threads { get; set; }

    [Option("json", HelpText = "Print JSON ({top1, loss, images, ...}) on stdout.")]
    public bool Json { get; set; }

    [Option("verbose", HelpText = "Show stack traces of errors.")]
    public bool Verbose { get; set; }

    public int Execute(CliContext context)
    {
        if (Batch < 1) throw new InvalidInputException($"--batch must be >= 1, got {Batch}");
        if (UniformBits is { } b && (b < 2 || b > 8)) throw new InvalidInputException($"--uniform-bits must be in 2..8, got {b}");
        var checkpoint = TrainingCheckpoint.Load(Weights);
        using IKernels kernels = BackendRegistry.Create(Device, Threads);
        using GraphModel model = checkpoint.CreateModel(Weights);
        string dataName = Data ?? checkpoint.Dataset;
        ILabelledImages data = LabelledDataSets.Open(dataName, Split, DataDir, checkpoint.Model.InputSize);
        if (Limit is { } limit) data = LabelledSubset.First(data, limit);
        // A quantized checkpoint (qat, ptq) runs as it was quantized (CreateModel sets that); --uniform-bits replaces it by
        // weights-only quantization at one width.
        if (UniformBits is { } bits) model.SetWeightBits(model.WeightLayers.ToDictionary(l => l.Name, _ => bits));
        var weightBits = model.WeightBitWidths;
        var activationBits = model.Quantization.Layers.Values.Where(q => q.Input is not null).Select(q => q.Input!.Bits).ToArray();

        var result = Evaluator.Run(model, kernels, data, Batch);
        if (Json)
        {
            var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                json.WriteStartObject();
                json.WriteNumber("top1", result.Top1);
                json.WriteNumber("loss", result.Loss);
                json.WriteNumber("images", result.Images);
                json.WriteNumber("seconds", result.Seconds);
                json.WriteString("model", checkpoint.Model.Name);
                json.WriteString("dataset", data.Name);
                json.WriteString("weights", Weights);
                json.WriteString("device", kernels.Info.Id);
                if (UniformBits is { } u) json.WriteNumber("weight_bits", u);
                else if (weightBits.Count > 0)
                {
                    json.WriteStartObject("weight_bits");
                    foreach (var (layer, layerBits) in weightBits) json.WriteNumber(layer, layerBits);
                    json.WriteEndObject();
                }
                if (activationBits.Length > 0) json.WriteNumber("activation_bits_max", activationBits.Max());
                json.WriteEndObject();
            }
            context.Out.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        }
        else
        {
            string quant = UniformBits is { } u ? $", weights fake-quantized to {u} bits"
                : weightBits.Count > 0 ? $", weights fake-quantized to {weightBits.Values.Min()}..{weightBits.Values.Max()} bits" : "";
            if (UniformBits is null && activationBits.Length > 0) quant += $", activations {activationBits.Min()}..{activationBits.Max()} bits";
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{checkpoint.Model.Name} on {data.Name}{quant}: top-1 {result.Top1 * 100:F2}% ({(long)Math.Round(result.Top1 * result.Images)}/{result.Images}), loss {result.Loss:F4}, {result.Seconds:F1} s"));
        }
        return Cli.Ok;
    }
}
