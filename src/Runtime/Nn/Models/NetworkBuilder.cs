using Ompq.Kernels;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Nn.Models;

/// <summary>Collects nodes and torchvision-named, seeded parameters while a zoo model is described layer by layer.</summary>
internal sealed class NetworkBuilder
{
    private readonly List<GraphNode> _nodes = new();
    private readonly SeededInit _init;

    public NetworkBuilder(int seed) => _init = new SeededInit(seed);

    public ParameterStore Parameters { get; } = new();
    public IReadOnlyList<GraphNode> Nodes => _nodes;

    /// <summary>
    /// Conv2d (no bias) named <paramref name="conv"/> followed by BatchNorm2d named <paramref name="bn"/> and an activation;
    /// the output value is named <paramref name="output"/>. Returns the output name.
    /// </summary>
    public string ConvBn(string conv, string bn, string input, string output, int inChannels, int outChannels, int kernel,
        int stride, int pad, Activation activation, int groups = 1)
    {
        Parameters.Add($"{conv}.weight", new HostTensor(new[] { outChannels, inChannels / groups, kernel, kernel },
            _init.KaimingNormalFanOut(outChannels, inChannels / groups, kernel, kernel)));
        Parameters.Add($"{bn}.weight", HostTensor.Filled(1f, outChannels));
        Parameters.Add($"{bn}.bias", HostTensor.Zeros(outChannels));
        Parameters.Add($"{bn}.running_mean", HostTensor.Zeros(outChannels));
        Parameters.Add($"{bn}.running_var", HostTensor.Filled(1f, outChannels));
        _nodes.Add(new ConvNode(conv, input, output, $"{conv}.weight", null, BatchNormParams.Torch(bn),
            ConvGeometry.Square(stride, pad, groups), activation));
        return output;
    }

    /// <summary>nn.Linear with PyTorch's default init, or N(0, std) weights and zero bias when <paramref name="normalStd"/> is set.</summary>
    public string Linear(string name, string input, string output, int inFeatures, int outFeatures, double? normalStd = null)
    {
        float[] weight, bias;
        if (normalStd is { } std)
        {
            weight = _init.Normal((long)inFeatures * outFeatures, std);
            bias = new float[outFeatures];
        }
        else
        {
            (weight, bias) = _init.LinearDefault(inFeatures, outFeatures);
        }
        Parameters.Add($"{name}.weight", new HostTensor(new[] { outFeatures, inFeatures }, weight));
        Parameters.Add($"{name}.bias", new HostTensor(new[] { outFeatures }, bias));
        _nodes.Add(new LinearNode(name, input, output, $"{name}.weight", $"{name}.bias"));
        return output;
    }

    public string Add(string name, string a, string b, string output, Activation activation)
    {
        _nodes.Add(new AddNode(name, a, b, output, activation));
        return output;
    }

    public string MaxPool(string name, string input, int kernel, int stride, int pad)
    {
        _nodes.Add(new PoolNode(name, input, name, PoolKind.Max, kernel, kernel, stride, stride, pad, pad));
        return name;
    }

    public string GlobalAvgPool(string name, string input)
    {
        _nodes.Add(new GlobalAvgPoolNode(name, input, name));
        return name;
    }

    public string Flatten(string name, string input)
    {
        _nodes.Add(ReshapeNode.Flatten(name, input, name));
        return name;
    }
}
