using Ompq.Kernels.Cpu;

namespace Ompq.Tests.Backends.Cpu;

/// <summary>The cache-derived GEMM blocking and the instruction-set choice: sizes any machine could report give sane blocks.</summary>
public sealed class CpuBlockingTests
{
    [Theory]
    [InlineData("48K", 48L << 10)]
    [InlineData("2048K", 2048L << 10)]
    [InlineData("32M", 32L << 20)]
    [InlineData("65536", 65536L)]
    [InlineData("", 0L)]
    [InlineData("lots", 0L)]
    public void ParsesSysfsCacheSizes(string text, long bytes) => Assert.Equal(bytes, CpuCaches.ParseSize(text));

    [Theory]
    [InlineData("0", 1)]
    [InlineData("0-1", 2)]
    [InlineData("0-3,8,10-11", 7)]
    [InlineData("", 0)]
    public void CountsSharedCpuLists(string list, int count) => Assert.Equal(count, CpuCaches.CountCpus(list));

    /// <summary>Zen 4 (1 MiB L2, 16 MiB L3 per core share), the Xeon (2 MiB, 130 MiB) and a small core (128 KiB, no L3).</summary>
    [Theory]
    [InlineData(1L << 20, 16L << 20)]
    [InlineData(2L << 20, 130L << 20)]
    [InlineData(128L << 10, 0L)]
    public void BlocksAreWholeTilesAndFitTheirCaches(long l2, long l3)
    {
        foreach (var (mr, nr) in new[] { (Avx2Kernel.MR, Avx2Kernel.NR), (Avx512Kernel.MR, Avx512Kernel.NR), (PortableKernel.MR, PortableKernel.NR) })
        {
            var b = GemmBlocking.Derive(mr, nr, l2, l3);
            Assert.Equal((mr, nr), (b.MR, b.NR));
            Assert.InRange(b.KC, 64, 512);
            Assert.True((long)b.KC * nr * sizeof(float) <= Math.Max(l2 / 32, 64L * nr * sizeof(float)), $"B panel of {b} takes more than a 32nd of L2");
            Assert.True((long)b.MC * b.KC * sizeof(float) <= Math.Max(l2 / 2, (long)mr * b.KC * sizeof(float)), $"A block of {b} overflows half of L2");
            Assert.Equal(0, b.MC % mr);
            Assert.Equal(0, b.NC % nr);
            Assert.Equal(0, b.NarrowNC % nr);
            Assert.Equal(0, b.PrepackedNC % nr);
            Assert.InRange(b.PrepackedNC, nr, b.NC);
        }
        // Deep slices on 1–2 MiB L2s (C is passed once per slice), shallow ones where L2 is small.
        Assert.Equal(512, GemmBlocking.Derive(Avx2Kernel.MR, Avx2Kernel.NR, 1L << 20, 16L << 20).KC);
        Assert.Equal(512, GemmBlocking.Derive(Avx512Kernel.MR, Avx512Kernel.NR, 2L << 20, 130L << 20).KC);
        Assert.Equal(128, GemmBlocking.Derive(Avx2Kernel.MR, Avx2Kernel.NR, 256L << 10, 8L << 20).KC);
    }

    [Fact]
    public void SliceDepthSplitsKEvenly()
    {
        var b = GemmBlocking.Derive(Avx2Kernel.MR, Avx2Kernel.NR, 1L << 20, 16L << 20);
        Assert.Equal(512, b.SliceDepth(512));
        Assert.Equal(257, b.SliceDepth(513));
        Assert.Equal(7, b.SliceDepth(7));
    }

    [Fact]
    public void PortableIsAlwaysSupportedAndNamed()
    {
        Assert.True(CpuIsas.IsSupported(CpuIsa.Portable));
        Assert.Equal("portable", CpuIsas.Name(CpuIsa.Portable));
        Assert.False(CpuIsa.Portable.HasAvx2());
        Assert.True(CpuIsas.IsSupported(CpuIsas.Best));
        using var kernels = new CpuKernels(isa: CpuIsa.Portable);
        Assert.EndsWith("(portable)", kernels.Info.DeviceName);
    }

    /// <summary>The Gram's chunk keeps all n rows of it in half of L1 where that allows at least 64 columns, in whole 16-float vectors.</summary>
    [Theory]
    [InlineData(32, 48L << 10, 192)]
    [InlineData(32, 32L << 10, 128)]
    [InlineData(8, 48L << 10, 768)]
    [InlineData(256, 32L << 10, 64)]
    [InlineData(1, 0L, 1024)]
    public void GramChunkFitsHalfOfL1(int n, long l1, int expected)
    {
        int chunk = Gram.ChunkColumns(n, l1);
        Assert.Equal(expected, chunk);
        Assert.Equal(0, chunk % 16);
    }
}
