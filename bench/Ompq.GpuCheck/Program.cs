using Ompq.GpuCheck;
using Ompq.Kernels.Cpu;
using Ompq.Kernels.Ilgpu;

// Exit codes: 0 all checks passed, 1 a check failed, 2 no such device or bad arguments.
var options = CheckOptions.Parse(args, out string? argumentError);
if (options is null)
{
    Console.Error.WriteLine(argumentError);
    return 2;
}

var kind = options.Device switch
{
    "cuda" => IlgpuDeviceKind.Cuda,
    "opencl" => IlgpuDeviceKind.OpenCL,
    _ => IlgpuDeviceKind.Cpu,
};
var report = IlgpuDeviceProbe.Probe(kind);
if (!report.Available)
{
    Console.Error.WriteLine(report.Reason);
    return 2;
}

using var device = new IlgpuKernels(kind);
using var reference = new CpuKernels();
Console.WriteLine($"device: {device.Info.Id} '{device.Info.DeviceName}', {device.Info.MemoryBytes / (1 << 20)} MiB, {device.Info.ComputeUnits} SMs/CUs; " +
                  $"reference: cpu backend, {Environment.ProcessorCount} threads; shapes: {(options.Small ? "small" : "realistic")}");

var checks = new OpChecks(device, reference, options.Small, options.Seed);
checks.RunAll();
int failed = checks.Results.Count(r => !r.Result.Passed);
Console.WriteLine($"checks: {checks.Results.Count - failed} passed, {failed} failed");

if (options.Bench) new Benchmarks(device, options.Small).RunAll();
return failed == 0 ? 0 : 1;
