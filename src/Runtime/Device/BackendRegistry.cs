using Ompq.Kernels;
using Ompq.Kernels.Cpu;
using Ompq.Kernels.Ilgpu;

namespace Ompq.Runtime.Device;

/// <summary>
/// The backends this build knows, by id: cpu (SIMD, the default), ilgpu-cpu (ILGPU's simulator, for debugging
/// kernels), cuda and opencl (ILGPU on a GPU). Listing never throws; creating an unknown or absent device throws
/// <see cref="InvalidInputException"/> with a one-line reason.
/// </summary>
public static class BackendRegistry
{
    public const string Cpu = "cpu";
    public const string IlgpuCpu = "ilgpu-cpu";
    public const string Cuda = "cuda";
    public const string OpenCL = "opencl";

    public static IReadOnlyList<string> Ids { get; } = [Cpu, IlgpuCpu, Cuda, OpenCL];

    public static IReadOnlyList<DeviceDescription> List() => Ids.Select(Describe).ToList();

    /// <summary>Describes one backend (probing the driver for GPUs); throws only for an unknown id.</summary>
    public static DeviceDescription Describe(string id)
    {
        if (id == Cpu)
        {
            // The kernel path it runs (avx512, avx2 or portable: the widest the CPU has, or OMPQ_CPU_ISA).
            string isa;
            try
            {
                isa = CpuIsas.Name(CpuIsas.Default);
            }
            catch (KernelArgumentException e)
            {
                return new(Cpu, $"{Environment.ProcessorCount}-thread CPU (SIMD backend)",
                    GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, Environment.ProcessorCount, false, e.Message);
            }
            return new(Cpu, $"{Environment.ProcessorCount}-thread CPU (SIMD backend, {isa})",
                GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, Environment.ProcessorCount, true, null);
        }
        var report = IlgpuDeviceProbe.Probe(IlgpuKind(id));
        return new(id, report.Name, report.MemoryBytes, report.ComputeUnits, report.Available, report.Reason);
    }

    /// <param name="id">One of <see cref="Ids"/>.</param>
    /// <param name="threads">Worker threads for the cpu backend (0 = all cores); ignored by the others.</param>
    public static IKernels Create(string id, int threads = 0)
    {
        if (id == Cpu)
        {
            if (threads < 0) throw new InvalidInputException($"thread count must be >= 0, got {threads}");
            try
            {
                return new CpuKernels(threads);
            }
            catch (KernelArgumentException e)
            {
                throw new InvalidInputException($"device 'cpu' is not available: {e.Message}", e);
            }
        }
        var kind = IlgpuKind(id);
        var report = IlgpuDeviceProbe.Probe(kind);
        if (!report.Available)
            throw new InvalidInputException($"device '{id}' is not available on this machine: {report.Reason}");
        try
        {
            return new IlgpuKernels(kind);
        }
        catch (Exception e) when (e is not InvalidInputException)
        {
            throw new InvalidInputException(
                $"device '{id}' is not available on this machine: ILGPU could not open it ({e.GetType().Name}: {FirstLine(e.Message)})", e);
        }
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    private static IlgpuDeviceKind IlgpuKind(string id) => id switch
    {
        IlgpuCpu => IlgpuDeviceKind.Cpu,
        Cuda => IlgpuDeviceKind.Cuda,
        OpenCL => IlgpuDeviceKind.OpenCL,
        _ => throw new InvalidInputException($"unknown device '{id}': expected one of {string.Join(", ", Ids)}"),
    };
}
