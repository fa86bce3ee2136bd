using Ompq.Kernels;
using Ompq.Runtime.Tensors;
using Ompq.Runtime.Training;

namespace Ompq.Runtime.Nn.Graph;

public enum PoolKind
{
    Max,
    Average,
}

/// <summary>Max or average pooling over a window (floor mode, symmetric zero padding as PyTorch).</summary>
public sealed class PoolNode : GraphNode
{
    public PoolNode(string name, string input, string output, PoolKind pool, int kernelH, int kernelW, int strideH, int strideW,
        int padH = 0, int padW = 0, bool countIncludePad = true)
        : base(name, new[] { input }, output)
    {
        Pool = pool;
        KernelH = kernelH;
        KernelW = kernelW;
        StrideH = strideH;
        StrideW = strideW;
        PadH = padH;
        PadW = padW;
        CountIncludePad = countIncludePad;
    }

    public override string Kind => Pool == PoolKind.Max ? "MaxPool" : "AveragePool";
    public PoolKind Pool { get; }
    public int KernelH { get; }
    public int KernelW { get; }
    public int StrideH { get; }
    public int StrideW { get; }
    public int PadH { get; }
    public int PadW { get; }
    public bool CountIncludePad { get; }

    public Pool2dShape ShapeFor(int n, int c, int h, int w)
        => new(n, c, h, w, KernelH, KernelW, StrideH, StrideW, PadH, PadW, CountIncludePad);

    public override int[] InferShape(IReadOnlyList<int[]> inputShapes, ParameterStore parameters)
    {
        var x = inputShapes[0];
        if (x.Length != 3) throw ShapeError($"expects a C×H×W input, got {Fmt(x)}");
        var s = ShapeFor(1, x[0], x[1], x[2]);
        if (KernelH <= 0 || KernelW <= 0 || StrideH <= 0 || StrideW <= 0 || s.P <= 0 || s.Q <= 0)
            throw ShapeError($"window {KernelH}×{KernelW} stride {StrideH}×{StrideW} gives an empty output for {Fmt(x)}");
        // The kernels' own checks, here where the node can be named: every derived size in 64-bit, padding within the window.
        try { s.Validate(); }
        catch (KernelArgumentException e) { throw ShapeError($"cannot run on an input of {Fmt(x)}: {e.Message}"); }
        return new[] { x[0], s.P, s.Q };
    }

    internal override void Run(IKernels kernels, ParameterStore parameters, DeviceBuffer[] weights, IReadOnlyList<Tensor> inputs, Tensor output)
    {
        var x = inputs[0];
        var s = ShapeFor(x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3));
        if (Pool == PoolKind.Max) kernels.MaxPool2d(s, x.Data, output.Data);
        else kernels.AvgPool2d(s, x.Data, output.Data);
    }

    internal override void TrainForward(TrainingContext context, NodeTape tape, IReadOnlyList<Tensor> inputs, Tensor output)
        => Run(context.Kernels, null!, Array.Empty<DeviceBuffer>(), inputs, output);

    internal override void Backward(TrainingContext context, NodeTape tape, IReadOnlyList<Tensor> inputs, Tensor output,
        Tensor outputGradient, bool[] needsGradient, Tensor?[] inputGradients)
    {
        if (!needsGradient[0]) return;
        var x = inputs[0];
        var s = ShapeFor(x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3));
        var dx = context.Rent(x.Shape);
        if (Pool == PoolKind.Max) context.Kernels.MaxPool2dBackward(s, x.Data, outputGradient.Data, dx.Data);
        else context.Kernels.AvgPool2dBackward(s, outputGradient.Data, dx.Data);
        inputGradients[0] = dx;
    }
}
