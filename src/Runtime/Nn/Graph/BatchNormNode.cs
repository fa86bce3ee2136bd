using Ompq.Kernels;
using Ompq.Runtime.Tensors;
using Ompq.Runtime.Training;

namespace Ompq.Runtime.Nn.Graph;

/// <summary>A standalone inference batch-norm (one not preceded by a conv it could be folded into).</summary>
public sealed class BatchNormNode : GraphNode
{
    public BatchNormNode(string name, string input, string output, BatchNormParams parameters, Activation activation)
        : base(name, new[] { input }, output)
    {
        Params = parameters;
        Activation = activation;
    }

    public override string Kind => "BatchNormalization";
    public BatchNormParams Params { get; }
    public Activation Activation { get; }
    public override IEnumerable<string> TrainableParameterNames => BatchNormStep.Trainable(Params);

    public override IEnumerable<string> ParameterNames => Params.Names;

    public override int[] InferShape(IReadOnlyList<int[]> inputShapes, ParameterStore parameters)
    {
        var x = inputShapes[0];
        foreach (var n in Params.Names)
            if (!parameters[n].HasShape(new[] { x[0] }))
                throw ShapeError($"tensor '{n}' must be [{x[0]}] for an input of {Fmt(x)}, got {parameters[n].ShapeText}");
        return (int[])x.Clone();
    }

    internal override DeviceBuffer[] Upload(IKernels kernels, ParameterStore parameters)
        => Params.Names.Select(n => UploadArray(kernels, parameters[n].Data)).ToArray();

    internal override void Run(IKernels kernels, ParameterStore parameters, DeviceBuffer[] weights, IReadOnlyList<Tensor> inputs, Tensor output)
    {
        var x = inputs[0];
        long spatial = x.Size / x.Dim(0) / x.Dim(1);
        kernels.BatchNormInference(new ChannelShape(x.Dim(0), x.Dim(1), spatial), x.Data, weights[0], weights[1], weights[2], weights[3],
            Params.Eps, output.Data, Activation);
    }

    internal override void TrainForward(TrainingContext context, NodeTape tape, IReadOnlyList<Tensor> inputs, Tensor output)
        => BatchNormStep.Forward(context, tape, Params, inputs[0], output, Activation);

    internal override void Backward(TrainingContext context, NodeTape tape, IReadOnlyList<Tensor> inputs, Tensor output,
        Tensor outputGradient, bool[] needsGradient, Tensor?[] inputGradients)
    {
        var dx = BatchNormStep.Backward(context, tape, 0, Params, inputs[0], output, outputGradient, Activation);
        if (needsGradient[0]) inputGradients[0] = dx;
    }
}
