using Ompq.Kernels;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;

using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;
using TorchModule = TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>;

namespace Ompq.Tests.Nn;

/// <summary>Reference models in TorchSharp and helpers to compare them with ours.</summary>
internal static class TorchModelFixtures
{
    /// <summary>Gives every batch-norm non-trivial statistics so that folding is actually exercised.</summary>
    public static void RandomizeBatchNorms(nn.Module module, int seed)
    {
        torch.manual_seed(seed);
        using var _ = torch.no_grad();
        foreach (var (name, p) in module.named_parameters())
        {
            if (!IsBatchNorm(module, name)) continue;
            if (name.EndsWith(".weight")) p.uniform_(0.5, 1.5);
            else p.uniform_(-0.2, 0.2);
        }
        foreach (var (name, b) in module.named_buffers())
        {
            if (name.EndsWith("running_mean")) b.uniform_(-0.2, 0.2);
            else if (name.EndsWith("running_var")) b.uniform_(0.5, 1.5);
        }
    }

    private static bool IsBatchNorm(nn.Module root, string parameterName)
    {
        string prefix = parameterName[..parameterName.LastIndexOf('.')];
        return root.named_modules().Any(m => m.name == prefix && m.module is TorchSharp.Modules.BatchNorm2d);
    }

    public static float[] TorchForward(TorchModule model, float[] input, long[] shape)
    {
        model.eval();
        using var _ = torch.no_grad();
        using var x = torch.tensor(input, shape);
        using var y = model.call(x);
        using var flat = y.contiguous();
        return flat.data<float>().ToArray();
    }

    public static float[] OurForward(IKernels kernels, GraphModel model, float[] input, int[] shape)
    {
        using var x = Ompq.Runtime.Tensors.Tensor.FromHost(kernels, input, shape);
        using var y = model.Forward(x, SearchMode.Qat);
        return y.ToArray();
    }

    /// <summary>max |a − b| / max |b|.</summary>
    public static double RelativeMaxError(float[] actual, float[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(actual[i] - expected[i]));
            maxRef = Math.Max(maxRef, Math.Abs(expected[i]));
        }
        return maxDiff / Math.Max(maxRef, 1e-12);
    }
}

/// <summary>The small ResNet (16/32/64, 3 basic blocks per stage, 1×28×28 input) written with TorchSharp modules.</summary>
internal sealed class TorchResNet20 : TorchModule
{
    private readonly nn.Module<Tensor, Tensor> conv1;
    private readonly nn.Module<Tensor, Tensor> bn1;
    private readonly nn.Module<Tensor, Tensor> layer1;
    private readonly nn.Module<Tensor, Tensor> layer2;
    private readonly nn.Module<Tensor, Tensor> layer3;
    private readonly nn.Module<Tensor, Tensor> fc;

    public TorchResNet20(int classes = 10) : base("resnet20")
    {
        conv1 = nn.Conv2d(1, 16, 3, stride: 1, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(16);
        layer1 = Stage(16, 16, 1);
        layer2 = Stage(16, 32, 2);
        layer3 = Stage(32, 64, 2);
        fc = nn.Linear(64, classes);
        RegisterComponents();
    }

    private static nn.Module<Tensor, Tensor> Stage(int inp, int planes, int stride)
        => nn.Sequential(new TorchBasicBlock(inp, planes, stride), new TorchBasicBlock(planes, planes, 1), new TorchBasicBlock(planes, planes, 1));

    public override Tensor forward(Tensor x)
    {
        using var a = nn.functional.relu(bn1.call(conv1.call(x)));
        using var b = layer1.call(a);
        using var c = layer2.call(b);
        using var d = layer3.call(c);
        using var pooled = nn.functional.adaptive_avg_pool2d(d, 1);
        using var flat = pooled.flatten(1);
        return fc.call(flat);
    }
}

internal sealed class TorchBasicBlock : TorchModule
{
    private readonly nn.Module<Tensor, Tensor> conv1;
    private readonly nn.Module<Tensor, Tensor> bn1;
    private readonly nn.Module<Tensor, Tensor> conv2;
    private readonly nn.Module<Tensor, Tensor> bn2;
    private readonly nn.Module<Tensor, Tensor>? downsample;

    public TorchBasicBlock(int inp, int planes, int stride) : base("block")
    {
        conv1 = nn.Conv2d(inp, planes, 3, stride: stride, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(planes);
        conv2 = nn.Conv2d(planes, planes, 3, stride: 1, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(planes);
        if (stride != 1 || inp != planes)
            downsample = nn.Sequential(nn.Conv2d(inp, planes, 1, stride: stride, bias: false), nn.BatchNorm2d(planes));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var a = nn.functional.relu(bn1.call(conv1.call(x)));
        using var b = bn2.call(conv2.call(a));
        using var shortcut = downsample is null ? x.alias() : downsample.call(x);
        using var sum = b + shortcut;
        return nn.functional.relu(sum);
    }
}
