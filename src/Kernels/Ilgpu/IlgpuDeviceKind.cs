namespace Ompq.Kernels.Ilgpu;

/// <summary>Which ILGPU accelerator an <see cref="IlgpuKernels"/> runs on.</summary>
public enum IlgpuDeviceKind
{
    /// <summary>ILGPU's CPU accelerator: a slow simulator of the GPU model, used to check kernels for correctness.</summary>
    Cpu,
    Cuda,
    OpenCL,
}

public static class IlgpuDeviceKindNames
{
    /// <summary>The backend id the CLI and the device registry use for this kind.</summary>
    public static string Id(this IlgpuDeviceKind kind) => kind switch
    {
        IlgpuDeviceKind.Cpu => "ilgpu-cpu",
        IlgpuDeviceKind.Cuda => "cuda",
        IlgpuDeviceKind.OpenCL => "opencl",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
