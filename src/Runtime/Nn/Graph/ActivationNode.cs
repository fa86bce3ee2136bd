using Ompq.Kernels;
using Ompq.Runtime.Tensors;
using Ompq.Runtime.Training;

namespace Ompq.Runtime.Nn.Graph;

/// <summary>A standalone activation (one that could not be fused into its producer).</summary>
public sealed class ActivationNode : GraphNode
{
    public ActivationNode(string name, string input, string output, Activation activation)
        : base(name, new[] { input }, output) => Activation = activation;

    public override string Kind => "Activation";
    public Activation Activation { get; }
    public override bool CanRunInPlace => true;

    public override int[] InferShape(IReadOnlyList<int[]> inputShapes, ParameterStore parameters) => (int[])inputShapes[0].Clone();

    internal override void Run(IKernels kernels, ParameterStore parameters, DeviceBuffer[] weights, IReadOnlyList<Tensor> inputs, Tensor output)
        => kernels.Activate(Activation, inputs[0].Data, output.Data, output.Size);

    internal override void TrainForward(TrainingContext context, NodeTape tape, IReadOnlyList<Tensor> inputs, Tensor output)
        => context.Kernels.Activate(Activation, inputs[0].Data, output.Data, output.Size);

    internal override void Backward(TrainingContext context, NodeTape tape, IReadOnlyList<Tensor> inputs, Tensor output,
        Tensor outputGradient, bool[] needsGradient, Tensor?[] inputGradients)
    {
        if (needsGradient[0]) inputGradients[0] = context.ActivationGradient(Activation, output, outputGradient);
    }
}
