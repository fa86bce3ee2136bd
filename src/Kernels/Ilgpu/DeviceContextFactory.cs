using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace Ompq.Kernels.Ilgpu;

/// <summary>Creates the ILGPU context and accelerator for a device kind, with the settings every kernel here relies on.</summary>
internal static class DeviceContextFactory
{
    /// <summary>
    /// The CPU simulator runs one OS thread per simulated thread; its groups must hold the 256 threads the tiled
    /// kernels use (8 warps of 32), and one multiprocessor keeps the thread count down on small machines.
    /// </summary>
    public static CPUDevice SimulatedDevice => new(numThreadsPerWarp: 32, numWarpsPerMultiprocessor: 8, numMultiprocessors: 1);

    public static Context CreateContext(IlgpuDeviceKind kind) => Context.Create(builder =>
    {
        builder.EnableAlgorithms().Optimize(OptimizationLevel.O2).Math(MathMode.Default);
        switch (kind)
        {
            case IlgpuDeviceKind.Cpu: builder.CPU(SimulatedDevice); break;
            case IlgpuDeviceKind.Cuda: builder.Cuda(); break;
            case IlgpuDeviceKind.OpenCL: builder.OpenCL(); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    });

    /// <summary>The devices of <paramref name="kind"/> the context found (empty when the driver is missing).</summary>
    public static Device[] Devices(Context context, IlgpuDeviceKind kind) => kind switch
    {
        IlgpuDeviceKind.Cpu => [.. context.GetCPUDevices()],
        IlgpuDeviceKind.Cuda => [.. context.GetCudaDevices()],
        IlgpuDeviceKind.OpenCL => [.. context.GetCLDevices()],
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
