using Ompq.Kernels;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Nn.Graph;

/// <summary>Residual add with a fused activation: y = activation(a + b); shapes must match exactly.</summary>
public sealed class AddNode : GraphNode
{
    public AddNode(string name, string a, string b, string output, Activation activation)
        : base(name, new[] { a, b }, output) => Activation = activation;

    public override string Kind => "Add";
    public Activation Activation { get; }
    public override bool CanRunInPlace => true;

    public override int[] InferShape(IReadOnlyList<int[]> inputShapes, ParameterStore parameters)
    {
        if (!inputShapes[0].AsSpan().SequenceEqual(inputShapes[1]))
            throw ShapeError($"operands must have equal shapes, got {Fmt(inputShapes[0])} and {Fmt(inputShapes[1])}");
        return (int[])inputShapes[0].Clone();
    }

    internal override void Run(IKernels kernels, ParameterStore parameters, DeviceBuffer[] weights, IReadOnlyList<Tensor> inputs, Tensor output)
        => kernels.Add(inputs[0].Data, inputs[1].Data, output.Data, output.Size, Activation);
}
