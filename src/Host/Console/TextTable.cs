namespace Ompq.Host;

/// <summary>A plain text table; a header starting with '>' marks a right-aligned (numeric) column.</summary>
public sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];
    private readonly bool[] _right = headers.Select(h => h.StartsWith('>')).ToArray();
    private readonly string[] _headers = headers.Select(h => h.TrimStart('>')).ToArray();

    public void Add(params string[] cells) => _rows.Add(cells);

    public void Write(TextWriter writer)
    {
        var widths = _headers.Select(h => h.Length).ToArray();
        foreach (var row in _rows)
            for (int i = 0; i < row.Length && i < widths.Length; i++) widths[i] = Math.Max(widths[i], row[i].Length);
        WriteRow(writer, _headers, widths);
        writer.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in _rows) WriteRow(writer, row, widths);
    }

    private void WriteRow(TextWriter writer, string[] cells, int[] widths)
    {
        var parts = new string[widths.Length];
        for (int i = 0; i < widths.Length; i++)
        {
            string cell = i < cells.Length ? cells[i] : "";
            parts[i] = _right[i] ? cell.PadLeft(widths[i]) : cell.PadRight(widths[i]);
        }
        writer.WriteLine(string.Join("  ", parts).TrimEnd());
    }
}
