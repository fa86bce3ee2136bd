namespace Ompq.Host.Reports;

/// <summary>Peak resident memory of this process (Linux VmHWM), for run reports.</summary>
public static class ProcessMemory
{
    /// <returns>Bytes, or null where /proc/self/status is not available.</returns>
    public static long? PeakResidentBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal)
                    && long.TryParse(line[6..].Trim().Split(' ')[0], out long kib))
                    return kib * 1024;
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return null;
    }
}
