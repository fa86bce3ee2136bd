namespace Ompq.Kernels;

/// <summary>What a backend runs on: its id as the CLI names it (cpu, ilgpu-cpu, cuda, opencl), the device name and memory.</summary>
public sealed record BackendInfo(string Id, string DeviceName, long MemoryBytes, int ComputeUnits);
