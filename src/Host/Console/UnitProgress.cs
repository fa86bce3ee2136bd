namespace Ompq.Host;

/// <summary>
/// A one-line progress display on stderr while unit features are reduced ("features 5/16 layer2.0.conv1"),
/// redrawn in place with a carriage return and cleared at the end. Disabled for --json or a redirected stderr.
/// </summary>
public sealed class UnitProgress(TextWriter error, bool enabled)
{
    private int _lastLength;

    public void Report(int unit, int count, string name)
    {
        if (!enabled) return;
        string line = $"features {unit + 1}/{count} {name}";
        error.Write("\r" + line.PadRight(_lastLength));
        _lastLength = line.Length;
        error.Flush();
    }

    public void Finish()
    {
        if (!enabled || _lastLength == 0) return;
        error.Write("\r" + new string(' ', _lastLength) + "\r");
        error.Flush();
        _lastLength = 0;
    }
}
