namespace Ompq.Kernels.Cpu;

/// <summary>
/// Data cache sizes of this machine, read once from Linux's sysfs (cpu0's index*/level, type, size, shared_cpu_list),
/// so blocking follows the CPU the process runs on. Where sysfs is missing (other OSes, containers that hide it) or
/// says something implausible, each level falls back to a size common to current desktop and server cores.
/// </summary>
internal static class CpuCaches
{
    private const string Root = "/sys/devices/system/cpu/cpu0/cache";

    private static readonly Lazy<Sizes> Detected = new(Read);

    /// <summary>L1 data cache of one core, bytes.</summary>
    public static long L1 => Detected.Value.L1;

    /// <summary>L2 of one core (its share when cores share it), bytes.</summary>
    public static long L2 => Detected.Value.L2;

    /// <summary>This core's share of the last-level cache, bytes (0 when there is none beyond L2).</summary>
    public static long L3PerCore => Detected.Value.L3PerCore;

    private readonly record struct Sizes(long L1, long L2, long L3PerCore);

    private static Sizes Read()
    {
        long l1 = 0, l2 = 0, l3 = 0;
        try
        {
            if (Directory.Exists(Root))
                foreach (var index in Directory.EnumerateDirectories(Root, "index*"))
                {
                    string type = ReadText(index, "type");
                    if (type == "Instruction") continue;
                    if (!int.TryParse(ReadText(index, "level"), out int level)) continue;
                    long size = ParseSize(ReadText(index, "size"));
                    int sharing = Math.Max(1, CountCpus(ReadText(index, "shared_cpu_list")));
                    switch (level)
                    {
                        case 1: l1 = size; break;
                        case 2: l2 = size / sharing; break;
                        case 3: l3 = size / sharing; break;
                    }
                }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return new Sizes(
            Plausible(l1, 16 << 10, 256 << 10, 32 << 10),
            Plausible(l2, 128 << 10, 16 << 20, 512 << 10),
            l3 == 0 ? 0 : Plausible(l3, 256 << 10, 1L << 30, 2 << 20));
    }

    private static long Plausible(long value, long min, long max, long fallback) => value >= min && value <= max ? value : fallback;

    private static string ReadText(string directory, string name)
    {
        string path = Path.Combine(directory, name);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : "";
    }

    /// <summary>"48K", "2048K", "32M" or plain bytes.</summary>
    internal static long ParseSize(string text)
    {
        if (text.Length == 0) return 0;
        long unit = char.ToUpperInvariant(text[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1 };
        string digits = unit == 1 ? text : text[..^1];
        return long.TryParse(digits, out long value) && value > 0 ? value * unit : 0;
    }

    /// <summary>How many cpus a list such as "0-1,4,6-7" names.</summary>
    internal static int CountCpus(string list)
    {
        int count = 0;
        foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int dash = part.IndexOf('-');
            if (dash < 0) count += int.TryParse(part, out _) ? 1 : 0;
            else if (int.TryParse(part[..dash], out int first) && int.TryParse(part[(dash + 1)..], out int last) && last >= first)
                count += last - first + 1;
        }
        return count;
    }
}
