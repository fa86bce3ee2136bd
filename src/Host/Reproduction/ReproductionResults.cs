using System.Text;
using System.Text.Json;
using Ompq.Runtime;
using Ompq.Runtime.Io;

namespace Ompq.Host.Reproduction;

/// <summary>
/// Finished cells, one JSON object per line in results.jsonl. A line is appended only after its cell finished, so an
/// interrupted run loses at most the cell in progress, and a rerun skips every key already present.
/// </summary>
public sealed class ReproductionResults
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly string _path;
    private readonly Dictionary<string, CellResult> _results = new(StringComparer.Ordinal);

    public ReproductionResults(string path)
    {
        _path = path;
        if (!File.Exists(path)) return;
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            CellResult? result;
            try
            {
                result = JsonSerializer.Deserialize<CellResult>(text, Json);
            }
            catch (JsonException e)
            {
                // A line cut by a crash mid-write is the only way this file gets a bad line: say where, so it can be deleted.
                throw new InvalidInputException($"{path}:{line}: not a result record ({PrintableText.Of(e.Message)}); delete that line to rerun its cell");
            }
            if (result?.Key is null) throw new InvalidInputException($"{path}:{line}: a result record without a key");
            _results[result.Key] = result;
        }
    }

    public IReadOnlyCollection<CellResult> All => _results.Values;

    public bool Contains(string key) => _results.ContainsKey(key);

    public void Add(CellResult result)
    {
        string line = JsonSerializer.Serialize(result, Json) + "\n";
        File.AppendAllText(_path, line, new UTF8Encoding(false));
        _results[result.Key] = result;
    }
}
