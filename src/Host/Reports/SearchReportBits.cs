using System.Text.Json;
using Ompq.Runtime;
using Ompq.Runtime.Io;

namespace Ompq.Host.Reports;

/// <summary>
/// Reads the per-layer weight widths out of a search report written by `ompq search --out` (its "units" array:
/// each unit's "layers" take the unit's "bits"). Only what a bit assignment needs is read; the rest is ignored.
/// </summary>
public static class SearchReportBits
{
    /// <summary>Model name and layer → bits. Throws <see cref="InvalidInputException"/> naming the file and the field.</summary>
    public static (string Model, Dictionary<string, int> Bits) Read(string path)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"{path}: no such search report (write one with `ompq search --out FILE`)");
        var info = new FileInfo(path);
        const long limit = 64L << 20;
        if (info.Length > limit) throw new InvalidInputException($"{path}: {info.Length} bytes is too large for a search report (at most {limit})");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{path}: not a JSON search report ({PrintableText.Of(e.Message)})", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("units", out var units) || units.ValueKind != JsonValueKind.Array)
                throw new InvalidInputException($"{path}: not a search report (expected an object with \"model\" and a \"units\" array, as `ompq search --out` writes)");
            var bits = new Dictionary<string, int>(StringComparer.Ordinal);
            int index = 0;
            foreach (var unit in units.EnumerateArray())
            {
                if (unit.ValueKind != JsonValueKind.Object || !unit.TryGetProperty("bits", out var b) || !b.TryGetInt32(out int width)
                    || !unit.TryGetProperty("layers", out var layers) || layers.ValueKind != JsonValueKind.Array)
                    throw new InvalidInputException($"{path}: units[{index}] needs integer \"bits\" and a \"layers\" array");
                if (width < 2 || width > 8) throw new InvalidInputException($"{path}: units[{index}] has bits {width}; expected 2..8");
                foreach (var layer in layers.EnumerateArray())
                {
                    if (layer.ValueKind != JsonValueKind.String) throw new InvalidInputException($"{path}: units[{index}].layers holds a non-string");
                    string name = layer.GetString()!;
                    if (!bits.TryAdd(name, width)) throw new InvalidInputException($"{path}: layer '{PrintableText.Of(name)}' appears in two units");
                }
                index++;
            }
            if (bits.Count == 0) throw new InvalidInputException($"{path}: the report's \"units\" array is empty; nothing to take bits from");
            return (model.GetString()!, bits);
        }
    }
}
