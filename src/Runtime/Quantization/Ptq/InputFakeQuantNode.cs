using Ompq.Kernels;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Tensors;
using Ompq.Runtime.Training;

namespace Ompq.Runtime.Quantization.Ptq;

/// <summary>
/// Per-tensor fake quantization of a weight layer's input on a fixed grid, as its own node, so that a block trained
/// by <see cref="TrainingExecutor"/> quantizes its activations exactly as inference does
/// (<see cref="LayerQuantization.Input"/>) while its weights stay whatever the reconstruction uploads. The backward
/// is the straight-through estimator (zero where the clamp binds). Without a grid yet it passes its input through
/// (the grid of an inner activation is searched on what the block computes before it).
/// </summary>
internal sealed class InputFakeQuantNode : GraphNode
{
    public InputFakeQuantNode(string name, string input, string output) : base(name, new[] { input }, output) { }

    public override string Kind => "InputFakeQuant";

    /// <summary>The grid; null passes the input through unchanged.</summary>
    public ActivationQuant? Grid { get; set; }

    public override int[] InferShape(IReadOnlyList<int[]> inputShapes, ParameterStore parameters) => (int[])inputShapes[0].Clone();

    internal override void Run(IKernels kernels, ParameterStore parameters, DeviceBuffer[] weights, IReadOnlyList<Tensor> inputs, Tensor output)
        => Quantize(kernels, inputs[0], output);

    internal override void TrainForward(TrainingContext context, NodeTape tape, IReadOnlyList<Tensor> inputs, Tensor output)
        => Quantize(context.Kernels, inputs[0], output);

    internal override void Backward(TrainingContext context, NodeTape tape, IReadOnlyList<Tensor> inputs, Tensor output,
        Tensor outputGradient, bool[] needsGradient, Tensor?[] inputGradients)
    {
        if (!needsGradient[0]) return;
        if (Grid is not { } grid)
        {
            inputGradients[0] = outputGradient;
            return;
        }
        var x = inputs[0];
        var dx = context.Rent(x.Shape);
        context.Kernels.FakeQuantPerTensorBackward(grid.Grid, x.Data, outputGradient.Data, dx.Data, x.Size);
        inputGradients[0] = dx;
    }

    private void Quantize(IKernels kernels, Tensor x, Tensor output)
    {
        if (Grid is { } grid) kernels.FakeQuantPerTensor(grid.Grid, x.Data, output.Data, x.Size);
        else kernels.Copy(x.Data, output.Data);
    }
}
