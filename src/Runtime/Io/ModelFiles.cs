using Ompq.Runtime.Io.Onnx;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;

namespace Ompq.Runtime.Io;

/// <summary>One entry point for "a model the user named": a zoo name (optionally with a weights file) or an .onnx file.</summary>
public static class ModelFiles
{
    /// <param name="model">resnet18 | resnet50 | mobilenet_v2 | resnet20, or a path to an .onnx file.</param>
    /// <param name="weights">Optional state dict (.safetensors or PyTorch zip) for a zoo model; not allowed with ONNX.</param>
    /// <param name="inputSize">Square input side; default per model (ONNX: the graph's declared size).</param>
    /// <param name="seed">Initialisation seed for zoo models without weights.</param>
    /// <param name="limits">What the files may ask for; <see cref="ResourceLimits.Default"/> when null.</param>
    /// <param name="onnx">Whether <paramref name="model"/> is an ONNX file; null: when its name ends in .onnx.</param>
    public static GraphModel Open(string model, string? weights = null, int? inputSize = null, int seed = 0, ResourceLimits? limits = null, bool? onnx = null)
    {
        if (onnx ?? model.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            if (weights is not null) throw new InvalidInputException($"{model}: an ONNX model carries its own weights; do not pass a weights file");
            return OnnxImporter.Load(model, inputSize, limits);
        }
        var created = ModelZoo.Create(model, inputSize, seed);
        if (weights is null) return created;
        try
        {
            WeightLoader.Load(created, weights, limits);
            return created;
        }
        catch
        {
            created.Dispose();
            throw;
        }
    }
}
