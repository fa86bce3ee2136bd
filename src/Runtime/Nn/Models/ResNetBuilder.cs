using Ompq.Kernels;
using Ompq.Runtime.Nn.Graph;

namespace Ompq.Runtime.Nn.Models;

/// <summary>
/// torchvision ResNets (v1.5: a bottleneck's stride sits on its 3×3 conv) and the small ResNet for 28×28 images,
/// with torchvision's module names. Units (spec §2): per basic block "&lt;block&gt;.conv1" (conv1+bn1, captured after
/// its ReLU) and "&lt;block&gt;" (conv2+bn2 and the downsample, captured after add+ReLU); a bottleneck adds
/// "&lt;block&gt;.conv2". PTQ adds the stem "conv1" and the classifier "fc" at 8 bits; QAT keeps them fixed at 8.
/// </summary>
internal static class ResNetBuilder
{
    public sealed record Config(string Name, bool Bottleneck, int[] BlocksPerStage, int[] Widths, bool ImageNetStem,
        int InChannels, int Classes);

    public static Config ResNet18(int classes = 1000) => new("resnet18", false, new[] { 2, 2, 2, 2 }, new[] { 64, 128, 256, 512 }, true, 3, classes);
    public static Config ResNet50(int classes = 1000) => new("resnet50", true, new[] { 3, 4, 6, 3 }, new[] { 64, 128, 256, 512 }, true, 3, classes);

    /// <summary>3 stages of 16/32/64 channels, 3 basic blocks each, 3×3 stem without max-pool; for 28×28 single-channel images.</summary>
    public static Config ResNet20(int classes = 10, int inChannels = 1) => new("resnet20", false, new[] { 3, 3, 3 }, new[] { 16, 32, 64 }, false, inChannels, classes);

    public static GraphModel Build(Config config, int inputSize, int seed)
    {
        var b = new NetworkBuilder(seed);
        var qat = new List<UnitSpec>();
        int stemWidth = config.Widths[0];
        string x = config.ImageNetStem
            ? b.ConvBn("conv1", "bn1", "input", "conv1", config.InChannels, stemWidth, 7, 2, 3, Activation.Relu)
            : b.ConvBn("conv1", "bn1", "input", "conv1", config.InChannels, stemWidth, 3, 1, 1, Activation.Relu);
        if (config.ImageNetStem) x = b.MaxPool("maxpool", x, 3, 2, 1);

        int expansion = config.Bottleneck ? 4 : 1;
        int inplanes = stemWidth;
        for (int stage = 0; stage < config.BlocksPerStage.Length; stage++)
        {
            int planes = config.Widths[stage];
            for (int block = 0; block < config.BlocksPerStage[stage]; block++)
            {
                int stride = stage > 0 && block == 0 ? 2 : 1;
                string p = $"layer{stage + 1}.{block}";
                string shortcut = x;
                var outputLayers = new List<string>();
                if (stride != 1 || inplanes != planes * expansion)
                {
                    shortcut = b.ConvBn($"{p}.downsample.0", $"{p}.downsample.1", x, $"{p}.downsample", inplanes, planes * expansion, 1, stride, 0, Activation.None);
                }
                string branch;
                if (config.Bottleneck)
                {
                    branch = b.ConvBn($"{p}.conv1", $"{p}.bn1", x, $"{p}.conv1", inplanes, planes, 1, 1, 0, Activation.Relu);
                    qat.Add(new UnitSpec($"{p}.conv1", $"{p}.conv1", new[] { $"{p}.conv1" }));
                    branch = b.ConvBn($"{p}.conv2", $"{p}.bn2", branch, $"{p}.conv2", planes, planes, 3, stride, 1, Activation.Relu);
                    qat.Add(new UnitSpec($"{p}.conv2", $"{p}.conv2", new[] { $"{p}.conv2" }));
                    branch = b.ConvBn($"{p}.conv3", $"{p}.bn3", branch, $"{p}.conv3", planes, planes * 4, 1, 1, 0, Activation.None);
                    outputLayers.Add($"{p}.conv3");
                }
                else
                {
                    branch = b.ConvBn($"{p}.conv1", $"{p}.bn1", x, $"{p}.conv1", inplanes, planes, 3, stride, 1, Activation.Relu);
                    qat.Add(new UnitSpec($"{p}.conv1", $"{p}.conv1", new[] { $"{p}.conv1" }));
                    branch = b.ConvBn($"{p}.conv2", $"{p}.bn2", branch, $"{p}.conv2", planes, planes, 3, 1, 1, Activation.None);
                    outputLayers.Add($"{p}.conv2");
                }
                if (shortcut != x) outputLayers.Add($"{p}.downsample.0");
                x = b.Add($"{p}.add", branch, shortcut, p, Activation.Relu);
                qat.Add(new UnitSpec(p, p, outputLayers));
                inplanes = planes * expansion;
            }
        }
        x = b.GlobalAvgPool("avgpool", x);
        x = b.Flatten("flatten", x);
        x = b.Linear("fc", x, "fc", inplanes, config.Classes);

        var ptq = new List<UnitSpec> { new("conv1", "conv1", new[] { "conv1" }, 8) };
        ptq.AddRange(qat);
        ptq.Add(new UnitSpec("fc", "fc", new[] { "fc" }, 8));
        var graph = new ModelGraph("input", b.Nodes, x);
        return new GraphModel(config.Name, graph, b.Parameters, (config.InChannels, inputSize, inputSize),
            new Dictionary<SearchMode, IReadOnlyList<UnitSpec>> { [SearchMode.Qat] = qat, [SearchMode.Ptq] = ptq },
            new Dictionary<SearchMode, IReadOnlyList<string>> { [SearchMode.Qat] = new[] { "conv1", "fc" }, [SearchMode.Ptq] = Array.Empty<string>() });
    }
}
