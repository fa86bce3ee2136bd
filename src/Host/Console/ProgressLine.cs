using System.Diagnostics;

namespace Ompq.Host;

/// <summary>
/// The one progress display of the CLI: a line on stderr redrawn in place with a carriage return, at most ten times a
/// second (the last step of a run always), and cleared before anything else is printed. Disabled for --json or a
/// redirected stderr, so logs and pipes never see it.
/// </summary>
public sealed class ProgressLine(TextWriter error, bool enabled)
{
    private readonly Stopwatch _sinceDraw = Stopwatch.StartNew();
    private int _lastLength;

    /// <param name="always">Draw even within a tenth of a second of the last drawing (e.g. the step that ends a phase).</param>
    public void Show(string text, bool always = false)
    {
        if (!enabled || (!always && _lastLength > 0 && _sinceDraw.ElapsedMilliseconds < 100)) return;
        _sinceDraw.Restart();
        error.Write("\r" + text.PadRight(_lastLength));
        _lastLength = text.Length;
        error.Flush();
    }

    public void Clear()
    {
        if (!enabled || _lastLength == 0) return;
        error.Write("\r" + new string(' ', _lastLength) + "\r");
        error.Flush();
        _lastLength = 0;
    }

    /// <summary>
    /// An <see cref="IProgress{T}"/> that draws <paramref name="format"/>(value) on the reporting thread at once
    /// (System.Progress posts to the thread pool, so lines could arrive after the work they describe).
    /// </summary>
    public IProgress<T> Reporting<T>(Func<T, string> format, Func<T, bool>? isLast = null)
        => new Reporter<T>(value => Show(format(value), isLast?.Invoke(value) ?? false));

    /// <summary>An <see cref="IProgress{T}"/> that runs <paramref name="handler"/> on the reporting thread at once (for reports that print lines as well as the progress line).</summary>
    public static IProgress<T> Inline<T>(Action<T> handler) => new Reporter<T>(handler);

    private sealed class Reporter<T>(Action<T> handler) : IProgress<T>
    {
        public void Report(T value) => handler(value);
    }
}
