using Ompq.Kernels;
using Ompq.Runtime.Tensors;
using Ompq.Runtime.Training;

namespace Ompq.Runtime.Nn.Graph;

/// <summary>A view of the input with another per-image shape (flatten, reshape); no data moves.</summary>
public sealed class ReshapeNode : GraphNode
{
    public ReshapeNode(string name, string input, string output, int[] shape) : base(name, new[] { input }, output)
        => TargetShape = shape;

    /// <summary>Per-image shape of the output; a single −1 takes the remaining elements.</summary>
    public int[] TargetShape { get; }

    public override string Kind => "Reshape";
    public override bool IsView => true;

    public static ReshapeNode Flatten(string name, string input, string output) => new(name, input, output, new[] { -1 });

    public override int[] InferShape(IReadOnlyList<int[]> inputShapes, ParameterStore parameters)
    {
        long size = HostTensor.ElementCount(inputShapes[0]);
        var shape = (int[])TargetShape.Clone();
        int free = Array.IndexOf(shape, -1);
        long known = 1;
        for (int i = 0; i < shape.Length; i++) if (i != free) known *= shape[i];
        if (free >= 0 && known > 0 && size % known == 0) shape[free] = (int)(size / known);
        if (HostTensor.ElementCount(shape) != size || shape.Any(d => d <= 0))
            throw ShapeError($"cannot view {Fmt(inputShapes[0])} as {Fmt(TargetShape)}");
        return shape;
    }

    internal override void Run(IKernels kernels, ParameterStore parameters, DeviceBuffer[] weights, IReadOnlyList<Tensor> inputs, Tensor output)
    {
        // A view: the executor hands the output the input's memory.
    }

    internal override void TrainForward(TrainingContext context, NodeTape tape, IReadOnlyList<Tensor> inputs, Tensor output)
    {
        // A view, as in inference: the executor hands the output the input's memory.
    }

    /// <summary>The gradient is the output gradient viewed with the input's shape.</summary>
    internal override void Backward(TrainingContext context, NodeTape tape, IReadOnlyList<Tensor> inputs, Tensor output,
        Tensor outputGradient, bool[] needsGradient, Tensor?[] inputGradients)
    {
        if (needsGradient[0]) inputGradients[0] = new Tensor(context.Kernels, outputGradient.Data, inputs[0].Shape, ownsBuffer: false);
    }
}
