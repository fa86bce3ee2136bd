using Ompq.Kernels;
using Ompq.Runtime.Tensors;
using Ompq.Runtime.Training;

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

    internal override void TrainForward(TrainingContext context, NodeTape tape, IReadOnlyList<Tensor> inputs, Tensor output)
        => Run(context.Kernels, null!, Array.Empty<DeviceBuffer>(), inputs, output);

    internal override void Backward(TrainingContext context, NodeTape tape, IReadOnlyList<Tensor> inputs, Tensor output,
        Tensor outputGradient, bool[] needsGradient, Tensor?[] inputGradients)
    {
        if (!needsGradient[0]) return;
        var x = inputs[0];
        var dx = context.Rent(x.Shape);
        context.Kernels.GlobalAvgPoolBackward(new ChannelShape(x.Dim(0), x.Dim(1), (long)x.Dim(2) * x.Dim(3)), outputGradient.Data, dx.Data);
        inputGradients[0] = dx;
    }
}
