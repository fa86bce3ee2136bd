using Ompq.Kernels;
using Ompq.Runtime;
using Ompq.Runtime.Device;

namespace Ompq.Tests.Device;

/// <summary>Listing and creating backends by id; runs on any machine (GPU ids are checked either way).</summary>
public sealed class BackendRegistryTests
{
    [Fact]
    public void ListCoversEveryBackendInOrderWithoutThrowing()
    {
        var devices = BackendRegistry.List();
        Assert.Equal(["cpu", "ilgpu-cpu", "cuda", "opencl"], devices.Select(d => d.Id));
        foreach (var device in devices)
        {
            if (device.Available)
            {
                Assert.Null(device.Reason);
                Assert.False(string.IsNullOrWhiteSpace(device.Name));
                Assert.True(device.MemoryBytes > 0, $"{device.Id} reports no memory");
                Assert.True(device.ComputeUnits > 0, $"{device.Id} reports no compute units");
            }
            else
            {
                Assert.NotNull(device.Reason);
                Assert.DoesNotContain('\n', device.Reason);
                Assert.Contains("ILGPU saw:", device.Reason);
            }
        }
    }

    [Fact]
    public void CpuBackendsAreAlwaysAvailable()
    {
        var devices = BackendRegistry.List();
        Assert.True(devices.Single(d => d.Id == "cpu").Available);
        Assert.True(devices.Single(d => d.Id == "ilgpu-cpu").Available);
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("CUDA")]
    [InlineData("")]
    public void UnknownIdIsOneLineNamingTheChoices(string id)
    {
        var error = Assert.Throws<InvalidInputException>(() => BackendRegistry.Create(id));
        Assert.Equal($"unknown device '{id}': expected one of cpu, ilgpu-cpu, cuda, opencl", error.Message);
    }

    [Theory]
    [InlineData("cuda", "CUDA")]
    [InlineData("opencl", "OpenCL")]
    public void GpuIdsEitherOpenOrSayWhyNotInOneLine(string id, string api)
    {
        var description = BackendRegistry.Describe(id);
        if (description.Available)
        {
            using var kernels = BackendRegistry.Create(id);
            Assert.Equal(id, kernels.Info.Id);
            return;
        }
        var error = Assert.Throws<InvalidInputException>(() => BackendRegistry.Create(id));
        Assert.StartsWith($"device '{id}' is not available on this machine: no {api} device found (ILGPU saw: ", error.Message);
        Assert.EndsWith(")", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("ilgpu-cpu")]
    public void CreatedCpuBackendsComputeAndReportTheirId(string id)
    {
        using var kernels = BackendRegistry.Create(id, threads: 1);
        Assert.Equal(id, kernels.Info.Id);
        using var a = kernels.Allocate(5);
        using var b = kernels.Allocate(5);
        kernels.Upload([1f, -2f, 3f, -4f, 5f], a);
        kernels.Fill(b, 1.5f);
        kernels.Add(a, b, b, 5, Activation.Relu);
        var result = new float[5];
        kernels.Download(b, result);
        Assert.Equal([2.5f, 0f, 4.5f, 0f, 6.5f], result);
    }

    [Fact]
    public void NegativeThreadCountIsRejected()
    {
        var error = Assert.Throws<InvalidInputException>(() => BackendRegistry.Create("cpu", -1));
        Assert.Contains("thread", error.Message);
    }
}
