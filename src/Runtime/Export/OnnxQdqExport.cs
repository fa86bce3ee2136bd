using Ompq.Runtime.Inference;

namespace Ompq.Runtime.Export;

/// <summary>The ONNX QDQ form of a quantized network (placeholder until the writer lands).</summary>
public static class OnnxQdqExport
{
    public static void Write(string path, QuantizedNetwork network)
        => throw new UnsupportedModelException("ONNX QDQ export is not implemented yet");
}
