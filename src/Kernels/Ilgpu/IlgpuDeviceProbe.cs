using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;

namespace Ompq.Kernels.Ilgpu;

/// <summary>What probing one ILGPU device kind found: the first device, or why there is none.</summary>
public sealed record IlgpuDeviceReport(IlgpuDeviceKind Kind, bool Available, string Name, long MemoryBytes, int ComputeUnits, string? Reason);

/// <summary>
/// Finds out, without throwing, whether a CUDA or OpenCL device ILGPU can use is present. Missing drivers and
/// libraries are the normal case on CPU machines and become a reason text, never an exception.
/// </summary>
public static class IlgpuDeviceProbe
{
    private const string CudaDriverLibrary = "libcuda.so.1";
    /// <summary>ILGPU binds the unversioned name, which only the ICD loader's development package provides.</summary>
    private const string OpenCLLibrary = "libOpenCL.so";

    public static IlgpuDeviceReport Probe(IlgpuDeviceKind kind)
    {
        if (kind == IlgpuDeviceKind.Cpu)
        {
            var simulated = DeviceContextFactory.SimulatedDevice;
            return new(kind, true, "ILGPU CPU accelerator (simulator, 256 threads per group)",
                GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, simulated.NumMultiprocessors, null);
        }

        string library = kind == IlgpuDeviceKind.Cuda ? CudaDriverLibrary : OpenCLLibrary;
        string what = kind == IlgpuDeviceKind.Cuda ? "CUDA" : "OpenCL";
        if (!LibraryLoads(library))
            return Unavailable(kind, $"no {what} device found (ILGPU saw: {library} is not installed)");
        try
        {
            using var context = DeviceContextFactory.CreateContext(kind);
            var devices = DeviceContextFactory.Devices(context, kind);
            if (devices.Length == 0)
                return Unavailable(kind, $"no {what} device found (ILGPU saw: {library} loads but lists no usable device{OpenCLHint(kind)})");
            var device = devices[0];
            return new(kind, true, device.Name, device.MemorySize, device.NumMultiprocessors, null);
        }
        catch (Exception e)
        {
            return Unavailable(kind, $"no {what} device found (ILGPU saw: {e.GetType().Name}: {FirstLine(e.Message)})");
        }
    }

    private static string OpenCLHint(IlgpuDeviceKind kind)
        => kind == IlgpuDeviceKind.OpenCL ? "; ILGPU needs OpenCL 2.0+ with generic address space" : "";

    private static IlgpuDeviceReport Unavailable(IlgpuDeviceKind kind, string reason) => new(kind, false, "-", 0, 0, reason);

    private static bool LibraryLoads(string name)
    {
        if (!NativeLibrary.TryLoad(name, out var handle)) return false;
        NativeLibrary.Free(handle);
        return true;
    }

    internal static string FirstLine(string message)
    {
        int end = message.IndexOfAny(['\r', '\n']);
        return (end < 0 ? message : message[..end]).Trim();
    }
}
