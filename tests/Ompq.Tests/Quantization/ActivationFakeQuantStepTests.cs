using Ompq.Kernels;
using Ompq.Kernels.Cpu;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Quantization;
using Ompq.Runtime.Tensors;
using Tensor = Ompq.Runtime.Tensors.Tensor;
using Ompq.Runtime.Training;
using Ompq.Tests.Reference;
using TorchSharp;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Ompq.Tests.Quantization;

/// <summary>
/// A quantization-aware step through a fake-quantized input: conv0 → (input grid) → conv1 with a 4-bit weight, against
/// TorchSharp autograd with the straight-through estimator written out: the quantized input is fq(x).detach() + m·x −
/// (m·x).detach(), m = 1 where the clamp does not bind, so its gradient is m. The grid is chosen so that the clamp
/// binds for part of the input, which is what tells a masked estimator from the identity.
/// </summary>
public sealed class ActivationFakeQuantStepTests
{
    [Theory]
    [InlineData(false, 4, 0.05f)]
    [InlineData(true, 3, 0.04f)]
    public void GradientsMatchTorchStraightThrough(bool relu, int inputBits, float scale)
    {
        using var kernels = new CpuKernels();
        using var model = TwoConvModel(relu, seed: 11);
        var input = new ActivationQuant(inputBits, scale, Unsigned: relu);
        var config = new QuantizationConfig(new Dictionary<string, LayerQuantization>
        {
            ["conv1"] = new LayerQuantization(4, Input: input),
        });
        var rng = new Random(3);
        const int n = 2;
        var images = RandomData.Uniform(rng, n * 3 * 6 * 6);
        var outputGradient = RandomData.Uniform(rng, n * 5 * 6 * 6);

        using var executor = new TrainingExecutor(model, kernels);
        executor.SetQuantization(config);
        executor.ActivationRanges.Observing = false; // the configured grid, not an observed one
        using var x = Tensor.FromHost(kernels, images, n, 3, 6, 6);
        var output = executor.Forward(x).ToArray();
        using var dy = Tensor.FromHost(kernels, outputGradient, n, 5, 6, 6);
        executor.Backward(dy);

        using var scope = torch.NewDisposeScope();
        var w0 = torch.tensor(model.Parameters["conv0.weight"].Data, new long[] { 4, 3, 3, 3 }).requires_grad_();
        var b0 = torch.tensor(model.Parameters["conv0.bias"].Data).requires_grad_();
        var w1 = torch.tensor(model.Parameters["conv1.weight"].Data, new long[] { 5, 4, 3, 3 }).requires_grad_();
        var b1 = torch.tensor(model.Parameters["conv1.bias"].Data).requires_grad_();
        var h = nn.functional.conv2d(torch.tensor(images, new long[] { n, 3, 6, 6 }), w0, b0, padding: new long[] { 1, 1 });
        if (relu) h = nn.functional.relu(h);
        var grid = input.Grid;
        var hq = StraightThrough(h, scale, grid.QMin, grid.QMax);
        var (w1q, scales) = FakeQuantReference.WeightsPerChannel(w1.reshape(5, -1), 4);
        scales.Dispose();
        var w1Used = w1 + (w1q.reshape(w1.shape) - w1).detach();
        var y = nn.functional.conv2d(hq, w1Used, b1, padding: new long[] { 1, 1 });
        (y * torch.tensor(outputGradient, y.shape)).sum().backward();

        var maskedFraction = MaskedFraction(h, scale, grid.QMin, grid.QMax);
        Assert.InRange(maskedFraction, 0.02, 0.9); // the clamp binds somewhere, and not everywhere
        AssertClose(y.detach().data<float>().ToArray(), output, 1e-5, "output");
        foreach (var (name, t) in new[] { ("conv0.weight", w0), ("conv0.bias", b0), ("conv1.weight", w1), ("conv1.bias", b1) })
        {
            var actual = new float[t.numel()];
            kernels.Download(executor.Parameters[name].Gradient!, actual);
            AssertClose(t.grad!.data<float>().ToArray(), actual, 1e-4, $"gradient of {name}");
        }
    }

    private static TorchTensor StraightThrough(TorchTensor x, float scale, int qmin, int qmax)
    {
        var quantized = FakeQuantReference.PerTensor(x.detach(), scale, 0, qmin, qmax);
        var q = (x.detach() / scale).round();
        var mask = q.ge(qmin).logical_and(q.le(qmax)).to_type(ScalarType.Float32);
        var masked = x * mask;
        return quantized + masked - masked.detach();
    }

    private static double MaskedFraction(TorchTensor x, float scale, int qmin, int qmax)
    {
        var q = (x.detach() / scale).round();
        var outside = q.lt(qmin).logical_or(q.gt(qmax)).to_type(ScalarType.Float32);
        return outside.mean().item<float>();
    }

    /// <summary>conv0 (3→4, 3×3, bias, optional ReLU) then conv1 (4→5, 3×3, bias) on 6×6 images.</summary>
    internal static GraphModel TwoConvModel(bool relu, int seed)
    {
        var rng = new Random(seed);
        var parameters = new ParameterStore();
        parameters.Add("conv0.weight", new HostTensor(new[] { 4, 3, 3, 3 }, RandomData.Uniform(rng, 108, -0.5f, 0.5f)));
        parameters.Add("conv0.bias", new HostTensor(new[] { 4 }, RandomData.Uniform(rng, 4, -0.2f, 0.2f)));
        parameters.Add("conv1.weight", new HostTensor(new[] { 5, 4, 3, 3 }, RandomData.Uniform(rng, 180, -0.5f, 0.5f)));
        parameters.Add("conv1.bias", new HostTensor(new[] { 5 }, RandomData.Uniform(rng, 5, -0.2f, 0.2f)));
        var nodes = new GraphNode[]
        {
            new ConvNode("conv0", "x", "h", "conv0.weight", "conv0.bias", null, ConvGeometry.Square(1, 1), relu ? Activation.Relu : Activation.None),
            new ConvNode("conv1", "h", "y", "conv1.weight", "conv1.bias", null, ConvGeometry.Square(1, 1), Activation.None),
        };
        return new GraphModel("two-conv", new ModelGraph("x", nodes, "y"), parameters, (3, 6, 6),
            new Dictionary<SearchMode, IReadOnlyList<UnitSpec>>(), new Dictionary<SearchMode, IReadOnlyList<string>>());
    }

    private static void AssertClose(float[] expected, float[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double error = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            error += Math.Pow((double)actual[i] - expected[i], 2);
            norm += (double)expected[i] * expected[i];
        }
        double relative = Math.Sqrt(error) / Math.Max(Math.Sqrt(norm), 1e-12);
        Assert.True(relative <= tolerance, $"{what}: relative error {relative:G3} > {tolerance}");
    }
}
