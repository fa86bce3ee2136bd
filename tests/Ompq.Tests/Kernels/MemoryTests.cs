using Ompq.Kernels;
using Ompq.Tests.Reference;

namespace Ompq.Tests.Kernels;

/// <summary>Allocation, transfers, fill and copy, including slices at offsets.</summary>
public abstract class MemoryTests<TFixture>(TFixture fixture) : KernelTestBase<TFixture>(fixture)
    where TFixture : BackendFixture, IBackendCases
{
    [SkippableFact]
    public void UploadDownloadRoundTripsThroughSlices()
    {
        var data = RandomData.Uniform(new Random(1), 1000);
        using var buffer = Backend.Allocate(1200);
        Backend.Upload(data, buffer.Slice(100, 1000));
        Assert.Equal(data, Download(buffer.Slice(100, 1000)));
        Assert.Equal(data[10..20], Download(buffer.Slice(110, 10)));
    }

    [SkippableFact]
    public void FillAndCopyTouchOnlyTheirSlices()
    {
        using var a = Backend.Allocate(300);
        using var b = Backend.Allocate(300);
        Backend.Fill(a, 1f);
        Backend.Fill(a.Slice(50, 100), 2.5f);
        Backend.Fill(b, -1f);
        Backend.Copy(a.Slice(40, 120), b.Slice(10, 120));
        var result = Download(b);
        for (int i = 0; i < 300; i++)
        {
            float expected = i < 10 || i >= 130 ? -1f : (i - 10 + 40 >= 50 && i - 10 + 40 < 150 ? 2.5f : 1f);
            Assert.Equal(expected, result[i]);
        }
    }

    [SkippableFact]
    public void ReusedBuffersKeepTheirLengthAndContentsCanBeOverwritten()
    {
        for (int round = 0; round < 3; round++)
        {
            using var buffer = Backend.Allocate(4096);
            Assert.Equal(4096, buffer.Length);
            Backend.Fill(buffer, round);
            Assert.All(Download(buffer), v => Assert.Equal(round, v));
        }
    }

    [SkippableFact]
    public void TransfersRejectShortDestinations()
    {
        using var buffer = Backend.Allocate(10);
        Assert.Throws<KernelArgumentException>(() => Backend.Upload(new float[11], buffer));
        Assert.Throws<KernelArgumentException>(() => Backend.Download(buffer, new float[9]));
        using var other = Backend.Allocate(5);
        Assert.Throws<KernelArgumentException>(() => Backend.Copy(buffer, other));
    }
}
