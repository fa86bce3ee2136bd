using System.Globalization;
using System.Runtime.InteropServices;

namespace Ompq.Benchmarking;

/// <summary>
/// The CPU a measurement came from, as /proc/cpuinfo names it (model name, family and model numbers), so every
/// table and JSON record can say which machine its figures belong to. Fields are null where the system does not say.
/// </summary>
public sealed record MachineDescription(string ModelName, int? Family, int? Model, string Architecture, int LogicalCores)
{
    public static MachineDescription Current { get; } = Read("/proc/cpuinfo");

    public static MachineDescription Read(string cpuinfoPath)
    {
        string? name = null;
        int? family = null, model = null;
        try
        {
            foreach (var line in File.ReadLines(cpuinfoPath))
            {
                int colon = line.IndexOf(':');
                if (colon < 0) continue;
                string key = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
                if (key == "model name") name ??= value;
                else if (key == "cpu family") family ??= Parse(value);
                else if (key == "model") model ??= Parse(value);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return new(name ?? "unknown CPU", family, model, RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(), Environment.ProcessorCount);
    }

    /// <summary>"Intel(R) Xeon(R) Processor (family 6, model 207, x64, 2 logical cores)".</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (Family is { } f) parts.Add($"family {f}");
        if (Model is { } m) parts.Add($"model {m}");
        parts.Add(Architecture);
        parts.Add($"{LogicalCores} logical cores");
        return $"{ModelName} ({string.Join(", ", parts)})";
    }

    private static int? Parse(string value) => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : null;
}
