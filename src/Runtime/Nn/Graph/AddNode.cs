using Ompq.Kernels;
using Ompq.Runtime.Tensors;
using Ompq.Runtime.Training;

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

    internal override void TrainForward(TrainingContext context, NodeTape tape, IReadOnlyList<Tensor> inputs, Tensor output)
        => context.Kernels.Add(inputs[0].Data, inputs[1].Data, output.Data, output.Size, Activation);

    /// <summary>Both operands receive the same gradient (one shared tensor: the executor never writes into a gradient it was given).</summary>
    internal override void Backward(TrainingContext context, NodeTape tape, IReadOnlyList<Tensor> inputs, Tensor output,
        Tensor outputGradient, bool[] needsGradient, Tensor?[] inputGradients)
    {
        var gradient = context.ActivationGradient(Activation, output, outputGradient);
        for (int j = 0; j < 2; j++)
            if (needsGradient[j]) inputGradients[j] = gradient;
    }
}
