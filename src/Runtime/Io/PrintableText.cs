using System.Text;

namespace Ompq.Runtime.Io;

/// <summary>
/// Names read from files end up in one-line error messages; control characters (a damaged or hostile file) are
/// replaced by '?' where the names are read, so a message can never span lines or carry terminal escapes.
/// </summary>
public static class PrintableText
{
    public static string Of(string text)
    {
        if (!text.Any(char.IsControl)) return text;
        var b = new StringBuilder(text.Length);
        foreach (char c in text) b.Append(char.IsControl(c) ? '?' : c);
        return b.ToString();
    }
}
