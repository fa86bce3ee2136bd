using Ompq.Kernels;
using Ompq.Runtime.Tensors;
using Ompq.Runtime.Training;

namespace Ompq.Runtime.Nn.Graph;

/// <summary>y = activation(x·Wᵀ + b) with W in PyTorch nn.Linear layout (Out×In); the input is flattened per image.</summary>
public sealed class LinearNode : WeightLayerNode
{
    public LinearNode(string name, string input, string output, string weight, string? bias, Activation activation = Activation.None)
        : base(name, input, output, weight, bias)
    {
        Activation = activation;
    }

    public override string Kind => "Linear";
    public Activation Activation { get; }

    public override IEnumerable<string> ParameterNames
        => BiasName is null ? new[] { WeightName } : new[] { WeightName, BiasName };

    public override long ParamCount(ParameterStore parameters)
        => parameters[WeightName].Size + (BiasName is null ? 0 : parameters[BiasName].Size);

    public override int[] InferShape(IReadOnlyList<int[]> inputShapes, ParameterStore parameters)
    {
        long features = HostTensor.ElementCount(inputShapes[0]);
        var w = parameters[WeightName];
        if (w.Shape.Length != 2 || w.Shape[1] != features)
            throw ShapeError($"weight '{WeightName}' must be [out, {features}] for an input of {Fmt(inputShapes[0])}, got {w.ShapeText}");
        if (BiasName is not null && !parameters[BiasName].HasShape(new[] { w.Shape[0] }))
            throw ShapeError($"bias '{BiasName}' must be [{w.Shape[0]}], got {parameters[BiasName].ShapeText}");
        return new[] { w.Shape[0] };
    }

    public override long Macs(IReadOnlyList<int[]> inputShapes, int[] outputShape, ParameterStore parameters)
        => parameters[WeightName].Size;

    internal override DeviceBuffer[] Upload(IKernels kernels, ParameterStore parameters)
    {
        var w = parameters[WeightName];
        var b = BiasName is null ? new float[w.Shape[0]] : parameters[BiasName].Data;
        return new[] { UploadArray(kernels, w.Data), UploadArray(kernels, b) };
    }

    internal override void Run(IKernels kernels, ParameterStore parameters, DeviceBuffer[] weights, IReadOnlyList<Tensor> inputs, Tensor output)
    {
        var x = inputs[0];
        int batch = x.Dim(0);
        var shape = new LinearShape(batch, (int)(x.Size / batch), output.Dim(1));
        kernels.Linear(shape, x.Data, weights[0], weights[1], output.Data, new Epilogue(Activation));
    }

    /// <summary>With a bit-width for this layer the product uses the fake-quantized weight (<see cref="WeightFakeQuant"/>).</summary>
    internal override void TrainForward(TrainingContext context, NodeTape tape, IReadOnlyList<Tensor> inputs, Tensor output)
    {
        var x = inputs[0];
        var p = context.Parameters;
        int batch = x.Dim(0);
        var shape = new LinearShape(batch, (int)(x.Size / batch), output.Dim(1));
        BufferSlice? bias = BiasName is null ? null : p[BiasName].Value.All;
        var used = WeightFakeQuant.Quantize(context, tape, Name, p[WeightName]);
        x = ActivationFakeQuant.Quantize(context, tape, Name, x);
        context.Kernels.Linear(shape, x.Data, used, bias, output.Data, new Epilogue(Activation));
    }

    /// <summary>dW = dYᵀ·X, db = Σ_batch dY, dX = dY·W, all through the GEMM (W the fake-quantized weight in QAT, dW through the STE).</summary>
    internal override void Backward(TrainingContext context, NodeTape tape, IReadOnlyList<Tensor> inputs, Tensor output,
        Tensor outputGradient, bool[] needsGradient, Tensor?[] inputGradients)
    {
        var x = inputs[0];
        var k = context.Kernels;
        var p = context.Parameters;
        int batch = x.Dim(0), outFeatures = output.Dim(1);
        int inFeatures = (int)(x.Size / batch);
        var gradient = context.ActivationGradient(Activation, output, outputGradient);
        var weight = p[WeightName];
        k.Gemm(new GemmShape(outFeatures, inFeatures, batch, TransA: true), gradient.Data, ActivationFakeQuant.Used(context, tape, Name, x).Data, weight.Gradient!);
        WeightFakeQuant.StraightThrough(context, tape, Name, weight);
        if (BiasName is not null) k.ChannelSum(batch, outFeatures, 1, gradient.Data, p[BiasName].Gradient!);
        if (!needsGradient[0]) return;
        var dx = context.Rent(x.Shape);
        k.Gemm(new GemmShape(batch, inFeatures, outFeatures), gradient.Data, WeightFakeQuant.Used(context, tape, Name, weight), dx.Data);
        ActivationFakeQuant.StraightThrough(context, Name, x, dx);
        inputGradients[0] = dx;
    }
}
