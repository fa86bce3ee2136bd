namespace Ompq.GpuCheck;

/// <summary>Command line: which ILGPU device, and whether to use small shapes (for the CPU simulator) or skip timing.</summary>
internal sealed record CheckOptions(string Device, bool Small, bool Bench, int Seed)
{
    public const string Usage =
        "usage: ompq-gpucheck [--device cuda|opencl|ilgpu-cpu] [--small] [--no-bench] [--seed N]";

    public static CheckOptions? Parse(string[] args, out string? error)
    {
        error = null;
        string device = "cuda";
        bool small = false, bench = true;
        int seed = 1;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--device" when i + 1 < args.Length: device = args[++i]; break;
                case "--small": small = true; break;
                case "--no-bench": bench = false; break;
                case "--seed" when i + 1 < args.Length && int.TryParse(args[i + 1], out seed): i++; break;
                default:
                    error = $"unknown argument '{args[i]}'. {Usage}";
                    return null;
            }
        }
        if (device is not ("cuda" or "opencl" or "ilgpu-cpu"))
        {
            error = $"unknown device '{device}': expected cuda, opencl or ilgpu-cpu";
            return null;
        }
        return new CheckOptions(device, small, bench, seed);
    }
}
