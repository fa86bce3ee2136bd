using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Nn.Models;

namespace Ompq.Runtime.Nn;

/// <summary>Builds the supported networks by name with seeded initialisation (load real weights with <c>WeightLoader</c>).</summary>
public static class ModelZoo
{
    /// <summary>The zoo's models: the one list every command, report and default refers to.</summary>
    public static IReadOnlyList<string> Names { get; } = new[] { "resnet18", "resnet50", "mobilenet_v2", "resnet20" };

    /// <summary>The zoo name for a spelling that differs only in case, '-' or '_' (mobilenetv2, MobileNet-V2 → mobilenet_v2).</summary>
    public static bool TryResolve(string spelling, out string name)
    {
        string key = SpellingKey(spelling);
        name = Names.FirstOrDefault(n => SpellingKey(n) == key) ?? "";
        return name.Length > 0;
    }

    /// <summary><see cref="TryResolve"/>, or bad input naming the models there are.</summary>
    public static string Resolve(string spelling) => TryResolve(spelling, out string name)
        ? name
        : throw new InvalidInputException($"unknown model '{spelling}': expected one of {string.Join(", ", Names)}");

    /// <summary>Input side length a model is built for when none is given: 224 for the ImageNet models, 28 for resnet20.</summary>
    public static int DefaultInputSize(string name) => Resolve(name) == "resnet20" ? 28 : 224;

    /// <param name="name">resnet18 | resnet50 | mobilenet_v2 | resnet20 (case-insensitive; "mobilenetv2" also accepted).</param>
    /// <param name="inputSize">Square input side (units' MACs and feature sizes refer to it); default per model.</param>
    /// <param name="seed">Seed of the deterministic initialisation.</param>
    /// <param name="classes">Classifier outputs; default 1000 (ImageNet) or 10 (resnet20).</param>
    /// <param name="channels">Input channels of resnet20 (default 1; 3 for 32×32 colour images). The ImageNet models take 3.</param>
    public static GraphModel Create(string name, int? inputSize = null, int seed = 0, int? classes = null, int? channels = null)
    {
        string key = Resolve(name);
        int size = inputSize ?? DefaultInputSize(key);
        if (size <= 0) throw new InvalidInputException($"input size must be positive, got {size}");
        if (channels is { } c && (c <= 0 || (key != "resnet20" && c != 3)))
            throw new InvalidInputException($"model '{name}' takes {(key == "resnet20" ? "a positive number of" : "3")} input channels, got {c}");
        if (classes is <= 0) throw new InvalidInputException($"classes must be positive, got {classes}");
        return key switch
        {
            "resnet18" => ResNetBuilder.Build(ResNetBuilder.ResNet18(classes ?? 1000), size, seed),
            "resnet50" => ResNetBuilder.Build(ResNetBuilder.ResNet50(classes ?? 1000), size, seed),
            "mobilenet_v2" => MobileNetV2Builder.Build(size, seed, classes ?? 1000),
            "resnet20" => ResNetBuilder.Build(ResNetBuilder.ResNet20(classes ?? 10, channels ?? 1), size, seed),
            _ => throw new InvalidOperationException($"model '{key}' is in Names but has no builder"),
        };
    }

    private static string SpellingKey(string name) => name.Trim().ToLowerInvariant().Replace("_", "").Replace("-", "");
}
