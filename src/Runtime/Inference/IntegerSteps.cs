using Ompq.Kernels;

namespace Ompq.Runtime.Inference;

/// <summary>One op of a compiled integer plan; runs on a workspace for a batch. Steps never allocate managed memory.</summary>
internal abstract class IntegerStep
{
    public abstract IEnumerable<int> Reads { get; }
    public abstract int Writes { get; }
    public abstract void Run(IIntegerKernels kernels, IntegerWorkspace workspace, int batch);
}

/// <summary>Conv or linear layer: (converted) input codes × packed weights, fused epilogue with optional residual.</summary>
internal sealed class WeightLayerStep : IntegerStep
{
    public required string Layer { get; init; }
    public required int Input { get; init; }
    public required int Output { get; init; }
    public int Residual { get; init; } = -1;
    public required Conv2dShape PerImage { get; init; }
    public required CodeGrid InputGrid { get; init; }
    public required bool ConvertInput { get; init; }
    public required PackedInt8Weights Weights { get; init; }
    public required IntegerEpilogue Epilogue { get; init; }

    public override IEnumerable<int> Reads => Residual >= 0 ? new[] { Input, Residual } : new[] { Input };
    public override int Writes => Output;

    public Conv2dShape Shape(int batch) => PerImage with { N = batch };

    public override void Run(IIntegerKernels kernels, IntegerWorkspace workspace, int batch)
    {
        var shape = Shape(batch);
        Span<byte> codes;
        if (!ConvertInput) codes = workspace.Tensor(Input, batch).Codes;
        else
        {
            codes = workspace.Conversion(shape.InputSize);
            if (workspace.IsImages(Input)) kernels.QuantizeNchw(batch, shape.C, shape.H, shape.W, workspace.Images(shape.InputSize), InputGrid, codes);
            else kernels.Convert(shape.InputSize, workspace.Tensor(Input, batch), Activation.None, IntegerTensor.OfCodes(codes, InputGrid));
        }
        var residual = Residual >= 0 ? workspace.Tensor(Residual, batch) : IntegerTensor.None;
        kernels.Conv2d(shape, codes, InputGrid, Weights, Epilogue, residual, workspace.Tensor(Output, batch), workspace.Scratch);
    }
}

internal sealed class AddStep(int a, int b, Activation activation, int output) : IntegerStep
{
    public override IEnumerable<int> Reads => new[] { a, b };
    public override int Writes => output;

    public override void Run(IIntegerKernels kernels, IntegerWorkspace workspace, int batch)
    {
        var result = workspace.Tensor(output, batch);
        kernels.Add(result.Length, workspace.Tensor(a, batch), workspace.Tensor(b, batch), activation, result);
    }
}

internal sealed class ActivationStep(int input, Activation activation, int output) : IntegerStep
{
    public override IEnumerable<int> Reads => new[] { input };
    public override int Writes => output;

    public override void Run(IIntegerKernels kernels, IntegerWorkspace workspace, int batch)
    {
        var result = workspace.Tensor(output, batch);
        kernels.Convert(result.Length, workspace.Tensor(input, batch), activation, result);
    }
}

internal sealed class PoolStep(int input, int output, Pool2dShape perImage, bool max) : IntegerStep
{
    public override IEnumerable<int> Reads => new[] { input };
    public override int Writes => output;

    public override void Run(IIntegerKernels kernels, IntegerWorkspace workspace, int batch)
    {
        var shape = perImage with { N = batch };
        if (max) kernels.MaxPool(shape, workspace.Tensor(input, batch), workspace.Tensor(output, batch));
        else kernels.AvgPool(shape, workspace.Tensor(input, batch), workspace.Tensor(output, batch));
    }
}

internal sealed class GlobalPoolStep(int input, int output, int channels, int plane) : IntegerStep
{
    public override IEnumerable<int> Reads => new[] { input };
    public override int Writes => output;

    public override void Run(IIntegerKernels kernels, IntegerWorkspace workspace, int batch)
        => kernels.GlobalAvgPool(batch, channels, plane, workspace.Tensor(input, batch), workspace.Tensor(output, batch));
}
