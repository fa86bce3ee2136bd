using Ompq.Kernels;
using Ompq.Tests.Reference;
using TorchSharp;
using static Ompq.Tests.Reference.TorchTensors;

namespace Ompq.Tests.Kernels;

/// <summary>
/// Conv2d backward (data and weight) against TorchSharp autograd over the forward tests' random shapes (general,
/// 1×1, grouped, depthwise with channel multipliers, odd strides/dilation/padding; large planes in cases 6–9 of ten).
/// Tolerance: 2e-5 relative to the same backward on |x|, |w|, |dy|, which bounds the rounding error of each sum.
/// </summary>
public abstract class Conv2dBackwardTests<TFixture>(TFixture fixture) : KernelTestBase<TFixture>(fixture)
    where TFixture : BackendFixture, IBackendCases
{
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void DataMatchesTorch(int caseIndex)
    {
        var (shape, x, w, dy) = RandomCase("conv2d-backward-data", caseIndex);
        using var ddy = Upload(dy);
        using var dw = Upload(w);
        using var ddx = Upload(RandomData.Uniform(new Random(caseIndex), shape.InputSize, 1e6f, 2e6f));
        Backend.Conv2dBackwardData(shape, ddy, dw, ddx);
        var actual = Download(ddx);
        var reference = ConvBackwardReference.Compute(shape, x, w, dy);
        Close.Assert(reference.Dx, actual, 2e-5f, 1e-6f, $"conv2d backward data {shape}", reference.DxMagnitude);
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void WeightMatchesTorch(int caseIndex)
    {
        var (shape, x, w, dy) = RandomCase("conv2d-backward-weight", caseIndex);
        using var dx = Upload(x);
        using var ddy = Upload(dy);
        using var ddw = Upload(RandomData.Uniform(new Random(caseIndex), shape.WeightSize, 1e6f, 2e6f));
        Backend.Conv2dBackwardWeight(shape, dx, ddy, ddw);
        var actual = Download(ddw);
        var reference = ConvBackwardReference.Compute(shape, x, w, dy);
        Close.Assert(reference.Dw, actual, 2e-5f, 1e-6f, $"conv2d backward weight {shape}", reference.DwMagnitude);
    }

    /// <summary>A random shape and operands; the outputs are pre-filled with garbage to check they are overwritten.</summary>
    private (Conv2dShape Shape, float[] X, float[] W, float[] Dy) RandomCase(string family, int caseIndex)
    {
        var rng = CaseRandom(family, caseIndex);
        var shape = ConvCases.Random(rng, Limits, caseIndex % 5, largePlane: caseIndex % 10 >= 6);
        return (shape, RandomData.Uniform(rng, shape.InputSize), RandomData.Uniform(rng, shape.WeightSize),
            RandomData.Uniform(rng, shape.OutputSize));
    }
}

/// <summary>Torch autograd gradients of conv2d and the magnitudes (gradients of |x|, |w|, |dy|) that bound their rounding error.</summary>
internal static class ConvBackwardReference
{
    public sealed record Gradients(float[] Dx, float[] DxMagnitude, float[] Dw, float[] DwMagnitude);

    public static Gradients Compute(Conv2dShape s, float[] x, float[] w, float[] dy)
    {
        var (dx, dw) = Backward(s, x, w, dy);
        var (dxMagnitude, dwMagnitude) = Backward(s, Abs(x), Abs(w), Abs(dy));
        return new Gradients(dx, dxMagnitude, dw, dwMagnitude);
    }

    private static (float[] Dx, float[] Dw) Backward(Conv2dShape s, float[] x, float[] w, float[] dy)
    {
        using var scope = torch.NewDisposeScope();
        var tx = From(x, s.N, s.C, s.H, s.W).requires_grad_();
        var tw = From(w, s.K, s.CPerGroup, s.R, s.S).requires_grad_();
        var tdy = From(dy, s.N, s.K, s.P, s.Q);
        var y = torch.nn.functional.conv2d(tx, tw, null, [s.StrideH, s.StrideW], [s.PadH, s.PadW], [s.DilationH, s.DilationW], s.Groups);
        // d/dy of Σ y·dy is dy exactly, so this seeds the backward with dy.
        (y * tdy).sum().backward();
        return (Values(tx.grad!), Values(tw.grad!));
    }

    private static float[] Abs(float[] values) => values.Select(MathF.Abs).ToArray();
}
