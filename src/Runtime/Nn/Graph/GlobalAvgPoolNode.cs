using Ompq.Kernels;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Nn.Graph;

/// <summary>Mean over H×W per channel; output C×1×1 (as AdaptiveAvgPool2d(1) and ONNX GlobalAveragePool).</summary>
public sealed class GlobalAvgPoolNode : GraphNode
{
    public GlobalAvgPoolNode(string name, string input, string output) : base(name, new[] { input }, output) { }

    public override string Kind => "GlobalAveragePool";

    public override int[] InferShape(IReadOnlyList<int[]> inputShapes, ParameterStore parameters)
    {
        var x = inputShapes[0];
        if (x.Length != 3) throw ShapeError($"expects a C×H×W input, got {Fmt(x)}");
        return new[] { x[0], 1, 1 };
    }

    internal override void Run(IKernels kernels, ParameterStore parameters, DeviceBuffer[] weights, IReadOnlyList<Tensor> inputs, Tensor output)
    {
        var x = inputs[0];
        kernels.GlobalAvgPool(new ChannelShape(x.Dim(0), x.Dim(1), (long)x.Dim(2) * x.Dim(3)), x.Data, output.Data);
    }
}
