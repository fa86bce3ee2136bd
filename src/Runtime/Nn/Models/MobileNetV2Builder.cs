using Ompq.Kernels;
using Ompq.Runtime.Nn.Graph;

namespace Ompq.Runtime.Nn.Models;

/// <summary>
/// torchvision MobileNetV2 (width 1.0) with its module names (features.N.conv.M…, classifier.1), ReLU6, depthwise
/// convs as grouped convs. Units: one per conv (each captured after its conv-BN(-ReLU6); a block's projection
/// captured at the block output, after the residual add when there is one), features.18 included; PTQ adds the
/// stem features.0 and the classifier at 8 bits: 1 + 2 + 16·3 + 1 + 1 = 53.
/// </summary>
internal static class MobileNetV2Builder
{
    // t (expansion), c (output channels), n (repeats), s (first stride), as in the paper and torchvision.
    private static readonly int[][] Settings =
    {
        new[] { 1, 16, 1, 1 }, new[] { 6, 24, 2, 2 }, new[] { 6, 32, 3, 2 }, new[] { 6, 64, 4, 2 },
        new[] { 6, 96, 3, 1 }, new[] { 6, 160, 3, 2 }, new[] { 6, 320, 1, 1 },
    };

    public static GraphModel Build(int inputSize, int seed, int classes = 1000)
    {
        var b = new NetworkBuilder(seed);
        var searched = new List<UnitSpec>();
        string x = b.ConvBn("features.0.0", "features.0.1", "input", "features.0", 3, 32, 3, 2, 1, Activation.Relu6);
        int channels = 32;
        int index = 1;
        foreach (var s in Settings)
        {
            int t = s[0], outChannels = s[1], repeats = s[2], firstStride = s[3];
            for (int r = 0; r < repeats; r++, index++)
            {
                int stride = r == 0 ? firstStride : 1;
                string p = $"features.{index}";
                bool residual = stride == 1 && channels == outChannels;
                int hidden = channels * t;
                string y = x;
                int m = 0;
                if (t != 1)
                {
                    y = b.ConvBn($"{p}.conv.{m}.0", $"{p}.conv.{m}.1", y, $"{p}.conv.{m}", channels, hidden, 1, 1, 0, Activation.Relu6);
                    searched.Add(new UnitSpec($"{p}.conv.{m}", $"{p}.conv.{m}", new[] { $"{p}.conv.{m}.0" }));
                    m++;
                }
                y = b.ConvBn($"{p}.conv.{m}.0", $"{p}.conv.{m}.1", y, $"{p}.conv.{m}", hidden, hidden, 3, stride, 1, Activation.Relu6, groups: hidden);
                searched.Add(new UnitSpec($"{p}.conv.{m}", $"{p}.conv.{m}", new[] { $"{p}.conv.{m}.0" }));
                m++;
                string projection = $"{p}.conv.{m}";
                y = b.ConvBn(projection, $"{p}.conv.{m + 1}", y, residual ? projection : p, hidden, outChannels, 1, 1, 0, Activation.None);
                if (residual) y = b.Add($"{p}.add", y, x, p, Activation.None);
                searched.Add(new UnitSpec(p, p, new[] { projection }));
                x = y;
                channels = outChannels;
            }
        }
        x = b.ConvBn("features.18.0", "features.18.1", x, "features.18", channels, 1280, 1, 1, 0, Activation.Relu6);
        searched.Add(new UnitSpec("features.18", "features.18", new[] { "features.18.0" }));
        x = b.GlobalAvgPool("avgpool", x);
        x = b.Flatten("flatten", x);
        x = b.Linear("classifier.1", x, "classifier.1", 1280, classes, normalStd: 0.01);

        var ptq = new List<UnitSpec> { new("features.0", "features.0", new[] { "features.0.0" }, 8) };
        ptq.AddRange(searched);
        ptq.Add(new UnitSpec("classifier.1", "classifier.1", new[] { "classifier.1" }, 8));
        var graph = new ModelGraph("input", b.Nodes, x);
        return new GraphModel("mobilenet_v2", graph, b.Parameters, (3, inputSize, inputSize),
            new Dictionary<SearchMode, IReadOnlyList<UnitSpec>> { [SearchMode.Qat] = searched, [SearchMode.Ptq] = ptq },
            new Dictionary<SearchMode, IReadOnlyList<string>>
            {
                [SearchMode.Qat] = new[] { "features.0.0", "classifier.1" },
                [SearchMode.Ptq] = Array.Empty<string>(),
            });
    }
}
