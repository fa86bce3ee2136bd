using Ompq.Host.Reports;
using Ompq.Runtime;
using Ompq.Runtime.Nn.Graph;

namespace Ompq.Host.Verbs;

/// <summary>
/// The weight width of every conv/linear layer for the verbs that quantize a float model (qat, ptq): uniform, or each
/// layer at its unit's width in a search report; the first conv and the classifier at <see cref="EdgeLayerBits"/>.
/// </summary>
public static class QuantizationBits
{
    /// <summary>The first conv and the classifier stay at this width (the usual recipe: they are small and sensitive).</summary>
    public const int EdgeLayerBits = 8;

    /// <summary><paramref name="uniform"/> bits for every conv/linear layer but the first and the classifier (the last), which get 8.</summary>
    public static Dictionary<string, int> Uniform(GraphModel model, int uniform)
    {
        var layers = model.WeightLayers.ToList();
        var bits = layers.ToDictionary(l => l.Name, _ => uniform, StringComparer.Ordinal);
        bits[layers[0].Name] = EdgeLayerBits;
        bits[layers[^1].Name] = EdgeLayerBits;
        return bits;
    }

    /// <summary>Each layer the report's units name at its unit's bits; every other weight layer (stem, classifier) at 8.</summary>
    public static Dictionary<string, int> FromReport(GraphModel model, string path)
    {
        var (reportModel, unitBits) = SearchReportBits.Read(path);
        if (!string.Equals(reportModel.Replace("-", "_"), model.Name.Replace("-", "_"), StringComparison.OrdinalIgnoreCase))
            throw new InvalidInputException($"{path}: the report is a search of model '{reportModel}', the checkpoint holds '{model.Name}'");
        var layers = model.WeightLayers.Select(l => l.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var layer in unitBits.Keys)
            if (!layers.Contains(layer)) throw new InvalidInputException($"{path}: layer '{layer}' is not a conv or linear layer of '{model.Name}'");
        return model.WeightLayers.ToDictionary(l => l.Name, l => unitBits.TryGetValue(l.Name, out int b) ? b : EdgeLayerBits, StringComparer.Ordinal);
    }

    /// <summary>Exactly one of --uniform-bits (2..8) and --bits-from must be given.</summary>
    public static void CheckChoice(int? uniformBits, string? bitsFrom)
    {
        if (uniformBits is null == bitsFrom is null)
            throw new InvalidInputException("give exactly one of --uniform-bits B (2..8) or --bits-from REPORT.json");
        if (uniformBits is { } u && (u < 2 || u > 8)) throw new InvalidInputException($"--uniform-bits must be in 2..8, got {u}");
    }

    /// <summary>The widths the options choose.</summary>
    public static Dictionary<string, int> Choose(GraphModel model, int? uniformBits, string? bitsFrom)
        => uniformBits is { } u ? Uniform(model, u) : FromReport(model, bitsFrom!);
}
