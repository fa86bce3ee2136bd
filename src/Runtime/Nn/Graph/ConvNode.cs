using Ompq.Kernels;
using Ompq.Runtime.Tensors;
using Ompq.Runtime.Training;

namespace Ompq.Runtime.Nn.Graph;

/// <summary>Stride, zero padding, dilation and groups of a 2-D convolution (kernel size comes from the weight).</summary>
public readonly record struct ConvGeometry(int StrideH = 1, int StrideW = 1, int PadH = 0, int PadW = 0, int DilationH = 1, int DilationW = 1, int Groups = 1)
{
    public static ConvGeometry Square(int stride = 1, int pad = 0, int groups = 1) => new(stride, stride, pad, pad, 1, 1, groups);
}

/// <summary>
/// Conv2d with an optional bias, an optional following batch-norm and an activation, run as one kernel:
/// the batch-norm is folded into the weight and bias when the node is uploaded; the original parameters stay
/// in the store (export and QAT read them).
/// </summary>
public sealed class ConvNode : WeightLayerNode
{
    public ConvNode(string name, string input, string output, string weight, string? bias, BatchNormParams? batchNorm,
        ConvGeometry geometry, Activation activation)
        : base(name, input, output, weight, bias)
    {
        BatchNorm = batchNorm;
        Geometry = geometry;
        Activation = activation;
    }

    public override string Kind => "Conv";
    public BatchNormParams? BatchNorm { get; }
    public ConvGeometry Geometry { get; }
    public Activation Activation { get; }

    public override IEnumerable<string> TrainableParameterNames
    {
        get
        {
            yield return WeightName;
            if (BiasName is not null) yield return BiasName;
            if (BatchNorm is not null) foreach (var n in BatchNormStep.Trainable(BatchNorm)) yield return n;
        }
    }

    public override IEnumerable<string> ParameterNames
    {
        get
        {
            yield return WeightName;
            if (BiasName is not null) yield return BiasName;
            if (BatchNorm is not null) foreach (var n in BatchNorm.Names) yield return n;
        }
    }

    /// <summary>Weight, bias, and 2·K for a batch-norm (spec §5).</summary>
    public override long ParamCount(ParameterStore parameters)
    {
        var w = parameters[WeightName];
        long count = w.Size;
        if (BiasName is not null) count += parameters[BiasName].Size;
        if (BatchNorm is not null) count += 2L * w.Shape[0];
        return count;
    }

    public Conv2dShape ShapeFor(int n, int c, int h, int w, ParameterStore parameters) => ShapeFor(n, c, h, w, parameters[WeightName].Shape);

    private Conv2dShape ShapeFor(int n, int c, int h, int w, int[] weight)
    {
        var g = Geometry;
        return new Conv2dShape(n, c, h, w, weight[0], weight[2], weight[3], g.StrideH, g.StrideW, g.PadH, g.PadW, g.DilationH, g.DilationW, g.Groups);
    }

    public override int[] InferShape(IReadOnlyList<int[]> inputShapes, ParameterStore parameters)
    {
        var x = inputShapes[0];
        if (x.Length != 3) throw ShapeError($"expects a C×H×W input, got {Fmt(x)}");
        var w = parameters[WeightName];
        if (w.Shape.Length != 4) throw ShapeError($"weight '{WeightName}' must be 4-D, got {w.ShapeText}");
        int k = w.Shape[0];
        if (Geometry.Groups <= 0 || x[0] % Geometry.Groups != 0 || k % Geometry.Groups != 0 || w.Shape[1] != x[0] / Geometry.Groups)
            throw ShapeError($"weight '{WeightName}' {w.ShapeText} with groups={Geometry.Groups} does not fit an input of {x[0]} channels");
        if (BiasName is not null && !parameters[BiasName].HasShape(new[] { k }))
            throw ShapeError($"bias '{BiasName}' must be [{k}], got {parameters[BiasName].ShapeText}");
        if (BatchNorm is not null)
            foreach (var n in BatchNorm.Names)
                if (!parameters[n].HasShape(new[] { k }))
                    throw ShapeError($"batch-norm tensor '{n}' must be [{k}], got {parameters[n].ShapeText}");
        var shape = ShapeFor(1, x[0], x[1], x[2], parameters);
        // The kernels' own checks, here where the node can be named: every derived size in 64-bit, window in the padded input.
        try { shape.Validate(); }
        catch (KernelArgumentException e) { throw ShapeError($"cannot run on an input of {Fmt(x)}: {e.Message}"); }
        return new[] { k, shape.P, shape.Q };
    }

    public override long Macs(IReadOnlyList<int[]> inputShapes, int[] outputShape, ParameterStore parameters)
    {
        var w = parameters[WeightName];
        return (long)outputShape[0] * outputShape[1] * outputShape[2] * (w.Size / w.Shape[0]);
    }

    internal override DeviceBuffer[] Upload(IKernels kernels, ParameterStore parameters)
    {
        var bias = BiasName is null ? null : parameters[BiasName];
        var (w, b) = BatchNormFolding.Fold(parameters[WeightName], bias, parameters, BatchNorm);
        return new[] { UploadArray(kernels, w), UploadArray(kernels, b) };
    }

    internal override void Run(IKernels kernels, ParameterStore parameters, DeviceBuffer[] weights, IReadOnlyList<Tensor> inputs, Tensor output)
    {
        var x = inputs[0];
        var shape = ShapeFor(x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3), parameters);
        kernels.Conv2d(shape, x.Data, weights[0], weights[1], output.Data, new Epilogue(Activation));
    }

    /// <summary>
    /// Training keeps the batch-norm unfused: conv into a saved pre-normalization tensor, then batch statistics. When
    /// quantized, the conv runs with the fake-quantized weight (<see cref="WeightFakeQuant"/>) and input
    /// (<see cref="ActivationFakeQuant"/>); quantization-aware training folds the batch-norm first
    /// (<see cref="GraphModel.FoldBatchNorm"/>) so that the quantized weight is the one inference uses.
    /// </summary>
    internal override void TrainForward(TrainingContext context, NodeTape tape, IReadOnlyList<Tensor> inputs, Tensor output)
    {
        var x = inputs[0];
        var p = context.Parameters;
        var weight = p[WeightName];
        var shape = ShapeFor(x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3), weight.Shape);
        BufferSlice? bias = BiasName is null ? null : p[BiasName].Value.All;
        var used = WeightFakeQuant.Quantize(context, tape, Name, weight);
        x = ActivationFakeQuant.Quantize(context, tape, Name, x);
        if (BatchNorm is null)
        {
            context.Kernels.Conv2d(shape, x.Data, used, bias, output.Data, new Epilogue(Activation));
            return;
        }
        var preNorm = context.Rent(output.Shape);
        context.Kernels.Conv2d(shape, x.Data, used, bias, preNorm.Data, Epilogue.None);
        tape.Save(preNorm);
        BatchNormStep.Forward(context, tape, BatchNorm, preNorm, output, Activation);
    }

    internal override void Backward(TrainingContext context, NodeTape tape, IReadOnlyList<Tensor> inputs, Tensor output,
        Tensor outputGradient, bool[] needsGradient, Tensor?[] inputGradients)
    {
        var x = inputs[0];
        var k = context.Kernels;
        var p = context.Parameters;
        var weight = p[WeightName];
        var shape = ShapeFor(x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3), weight.Shape);
        int first = ActivationFakeQuant.TapeOffset(context, Name);
        var gradient = BatchNorm is null
            ? context.ActivationGradient(Activation, output, outputGradient)
            : BatchNormStep.Backward(context, tape, first + 1, BatchNorm, tape[first], output, outputGradient, Activation);
        if (BiasName is not null) k.ChannelSum(shape.N, shape.K, (long)shape.P * shape.Q, gradient.Data, p[BiasName].Gradient!);
        k.Conv2dBackwardWeight(shape, ActivationFakeQuant.Used(context, tape, Name, x).Data, gradient.Data, weight.Gradient!);
        WeightFakeQuant.StraightThrough(context, tape, Name, weight);
        if (!needsGradient[0]) return;
        var dx = context.Rent(x.Shape);
        k.Conv2dBackwardData(shape, gradient.Data, WeightFakeQuant.Used(context, tape, Name, weight), dx.Data);
        ActivationFakeQuant.StraightThrough(context, Name, x, dx);
        inputGradients[0] = dx;
    }
}
