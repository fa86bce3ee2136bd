using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Ompq.Host.Data;
using Ompq.Host.Verbs;
using Ompq.Kernels.Cpu;
using Ompq.Kernels.Cpu.Integer;
using Ompq.Runtime.Export;
using Ompq.Runtime.Inference;
using Ompq.Runtime.Io;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Quantization;
using Ompq.Runtime.Training;

namespace Ompq.Bench;

/// <summary>
/// Quantized inference beside our fp32 forward and ONNX Runtime on the exported QDQ model: the pretrained ResNet-18
/// (224², batch 1 and 32, same thread count for all three, calls interleaved round by round, medians), and the resnet20
/// service figures (batch 1, concurrent clients: p50/p99, bytes allocated per call).
///   dotnet run -c Release --project bench/Ompq.Bench -- --inference [--rounds N] [--threads T] [--onnx PATH] [--resnet20 CKPT]
/// </summary>
public static class InferenceComparison
{
    public static string Run(int rounds, int threads, string onnxPath, string resnet20Checkpoint)
    {
        var report = new StringBuilder();
        string isa = IntegerIsas.Name(IntegerIsas.Default);
        report.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Integer path: {isa}; {threads} threads for every contender; {rounds} interleaved rounds, medians (ms)."));
        report.AppendLine();
        report.AppendLine("| model | batch | ours int8 ms | ours fp32 ms | ONNX Runtime QDQ ms | int8 / fp32 | ORT / int8 (speed-up) |");
        report.AppendLine("|---|---:|---:|---:|---:|---:|---:|");

        using var imported = ModelFiles.Open(onnxPath);
        using var folded = imported.FoldBatchNorm();
        var (c, h, w) = folded.InputShape;
        folded.SetQuantization(QuantizationConfig.WeightsOnly(QuantizationBits.Uniform(folded, 4)));
        using (var calibrationKernels = new CpuKernels(threads))
            folded.SetQuantization(ActivationCalibration.Calibrate(folded, calibrationKernels, new SyntheticImages(8, (c, h, w), seed: 2), 8, 8));
        var network = QuantizedNetwork.From(folded);
        folded.SetQuantization(null);
        var onnx = OnnxQdqExport.ToBytes(network);

        using var quantized = QuantizedModel.Create(network, new QuantizedModelOptions { Threads = threads });
        using var kernels = new CpuKernels(threads);
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(onnx, sessionOptions);
        string inputName = session.InputMetadata.Keys.Single();

        foreach (int batch in new[] { 1, 32 })
        {
            var images = new float[(long)batch * c * h * w];
            new SyntheticImages(batch, (c, h, w), seed: 5).Read(Enumerable.Range(0, batch).ToArray(), images, new int[batch]);
            var logits = new float[batch * quantized.OutputsPerImage];
            using var input = Ompq.Runtime.Tensors.Tensor.FromHost(kernels, images, batch, c, h, w);
            var ortInput = new[] { NamedOnnxValue.CreateFromTensor(inputName, new DenseTensor<float>(images, new[] { batch, c, h, w })) };
            Action ours = () => quantized.Predict(images, logits);
            Action fp32 = () => { using var y = folded.Forward(input, SearchMode.Qat); kernels.Synchronize(); };
            Action ort = () => { using var r = session.Run(ortInput); };
            foreach (var a in new[] { ours, fp32, ort }) a(); // warm-up: workspaces, uploads, ORT's first-run planning
            var times = new List<double>[3] { new(), new(), new() };
            int repeats = batch == 1 ? 5 : 1;
            for (int round = 0; round < rounds; round++)
                for (int k = 0; k < 3; k++)
                {
                    var action = k == 0 ? ours : k == 1 ? fp32 : ort;
                    var clock = Stopwatch.StartNew();
                    for (int r = 0; r < repeats; r++) action();
                    times[k].Add(clock.Elapsed.TotalMilliseconds / repeats);
                }
            double Median(List<double> t) => t.Order().ElementAt(t.Count / 2);
            double mi = Median(times[0]), mf = Median(times[1]), mo = Median(times[2]);
            report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| ResNet-18 224² (W4A8, stem/fc 8) | {batch} | {mi:F2} | {mf:F2} | {mo:F2} | {mi / mf:F2}× | {mo / mi:F2}× |"));
        }

        report.AppendLine();
        var checkpoint = TrainingCheckpoint.Load(resnet20Checkpoint);
        using var unfolded = checkpoint.CreateModel(resnet20Checkpoint);
        using var small = unfolded.FoldBatchNorm();
        small.SetQuantization(QuantizationConfig.WeightsOnly(QuantizationBits.Uniform(small, 4)));
        using (var calibrationKernels = new CpuKernels(threads))
            small.SetQuantization(ActivationCalibration.Calibrate(small, calibrationKernels, new SyntheticImages(64, small.InputShape, seed: 2), 64, 8));
        using var service = QuantizedModel.Create(QuantizedNetwork.From(small), new QuantizedModelOptions { Threads = 1 });
        report.AppendLine("| model | clients × batch | requests/s | p50 ms | p99 ms | bytes allocated per Predict |");
        report.AppendLine("|---|---|---:|---:|---:|---:|");
        foreach (int clients in new[] { 1, 2 })
        {
            var r = ServeBenchVerb.Run(service, clients, 5);
            report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| resnet20 28² (W4A8) | {clients} × 1 | {r.Throughput:F0} | {r.P50Ms:F3} | {r.P99Ms:F3} | {r.AllocatedBytesPerCall:F1} |"));
        }
        return report.ToString();
    }
}
