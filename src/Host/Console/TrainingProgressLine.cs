using System.Diagnostics;
using System.Globalization;
using Ompq.Runtime.Training;

namespace Ompq.Host;

/// <summary>
/// One line on stderr redrawn in place while training: a bar for the epoch, loss, top-1, images/s and the rate.
/// Redrawn at most ten times a second; disabled for --json or a redirected stderr.
/// </summary>
public sealed class TrainingProgressLine(TextWriter error, bool enabled)
{
    private const int BarWidth = 24;
    private readonly Stopwatch _sinceDraw = Stopwatch.StartNew();
    private int _lastLength;

    public void Report(TrainingProgress p)
    {
        if (!enabled || (_sinceDraw.ElapsedMilliseconds < 100 && p.Batch < p.Batches)) return;
        _sinceDraw.Restart();
        int filled = (int)((long)BarWidth * p.Batch / Math.Max(1, p.Batches));
        string line = string.Create(CultureInfo.InvariantCulture,
            $"epoch {p.Epoch + 1}/{p.Epochs} [{new string('#', filled)}{new string('.', BarWidth - filled)}] {p.Batch}/{p.Batches}  loss {p.Loss:F4}  top-1 {p.Top1 * 100:F2}%  {p.ImagesPerSecond:F0} img/s  lr {p.Lr:G4}");
        error.Write("\r" + line.PadRight(_lastLength));
        _lastLength = line.Length;
        error.Flush();
    }

    public void Clear()
    {
        if (!enabled || _lastLength == 0) return;
        error.Write("\r" + new string(' ', _lastLength) + "\r");
        error.Flush();
        _lastLength = 0;
    }
}
