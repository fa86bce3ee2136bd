using Ompq.Kernels;
using Ompq.Runtime.Tensors;
using Ompq.Runtime.Training;

namespace Ompq.Runtime.Nn.Graph;

/// <summary>
/// One operation of a <see cref="ModelGraph"/>: reads named values, writes one named value. Shapes are per image
/// (without the batch axis): C×H×W for feature maps, F for vectors.
/// </summary>
public abstract class GraphNode
{
    protected GraphNode(string name, IReadOnlyList<string> inputs, string output)
    {
        Name = name;
        Inputs = inputs;
        Output = output;
    }

    /// <summary>Layer name (torchvision module name for the zoo models, ONNX node name for imports).</summary>
    public string Name { get; }
    public IReadOnlyList<string> Inputs { get; }
    public string Output { get; }

    /// <summary>Op name for messages.</summary>
    public abstract string Kind { get; }

    /// <summary>True when the output is a view of the (only) input's memory (no kernel runs).</summary>
    public virtual bool IsView => false;

    /// <summary>True when the output may be written over the first input's memory.</summary>
    public virtual bool CanRunInPlace => false;

    /// <summary>Names of parameters the node reads from the <see cref="ParameterStore"/>.</summary>
    public virtual IEnumerable<string> ParameterNames => Array.Empty<string>();

    /// <summary>Parameters that get gradients when the node is trained (running statistics are excluded).</summary>
    public virtual IEnumerable<string> TrainableParameterNames => ParameterNames;

    /// <summary>
    /// Forward in training mode on the device parameters, saving on <paramref name="tape"/> what <see cref="Backward"/>
    /// needs beyond the node's inputs and output (which the executor keeps for the step).
    /// </summary>
    internal virtual void TrainForward(TrainingContext context, NodeTape tape, IReadOnlyList<Tensor> inputs, Tensor output)
        => throw new InvalidInputException($"{Kind} node '{Name}' cannot be trained (no backward pass for it)");

    /// <summary>
    /// Writes the gradients of the node's trainable parameters (overwriting them) and, for each input j with
    /// <paramref name="needsGradient"/>[j], a tensor rented from <paramref name="context"/> into <paramref name="inputGradients"/>[j].
    /// The node must not modify <paramref name="outputGradient"/>; a returned gradient may be shared between inputs.
    /// </summary>
    internal virtual void Backward(TrainingContext context, NodeTape tape, IReadOnlyList<Tensor> inputs, Tensor output,
        Tensor outputGradient, bool[] needsGradient, Tensor?[] inputGradients)
        => throw new InvalidInputException($"{Kind} node '{Name}' cannot be trained (no backward pass for it)");

    /// <summary>Checks parameter shapes against the inputs and returns the output shape; throws <see cref="InvalidInputException"/>.</summary>
    public abstract int[] InferShape(IReadOnlyList<int[]> inputShapes, ParameterStore parameters);

    /// <summary>Multiply-accumulates for one image.</summary>
    public virtual long Macs(IReadOnlyList<int[]> inputShapes, int[] outputShape, ParameterStore parameters) => 0;

    /// <summary>Uploads what the node needs on the device (e.g. folded weights).</summary>
    internal virtual DeviceBuffer[] Upload(IKernels kernels, ParameterStore parameters) => Array.Empty<DeviceBuffer>();

    /// <summary>Runs the node for a batch. Tensors carry the batch axis first.</summary>
    internal abstract void Run(IKernels kernels, ParameterStore parameters, DeviceBuffer[] weights, IReadOnlyList<Tensor> inputs, Tensor output);

    protected InvalidInputException ShapeError(string what)
        => new($"{Kind} node '{Name}': {what}");

    protected static DeviceBuffer UploadArray(IKernels kernels, float[] values)
    {
        var buffer = kernels.Allocate(values.Length);
        kernels.Upload(values, buffer);
        return buffer;
    }

    protected static string Fmt(int[] shape) => HostTensor.FormatShape(shape);
}
