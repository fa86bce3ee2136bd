using Ompq.Runtime.Export;

namespace Ompq.Tests.Inference;

public sealed class PackedCodesTests
{
    [Theory]
    [InlineData(2)] [InlineData(3)] [InlineData(4)] [InlineData(5)] [InlineData(6)] [InlineData(7)] [InlineData(8)]
    public void EveryWidthRoundTripsExactlyOnOddCounts(int bits)
    {
        var rng = new Random(bits);
        foreach (int count in new[] { 1, 3, 7, 13, 27, 1001 })
        {
            var codes = new sbyte[count];
            for (int i = 0; i < count; i++) codes[i] = (sbyte)rng.Next(-(1 << (bits - 1)), 1 << (bits - 1));
            codes[0] = (sbyte)-(1 << (bits - 1));
            codes[^1] = (sbyte)((1 << (bits - 1)) - 1);
            var packed = PackedCodes.Pack(codes, bits);
            Assert.Equal((count * bits + 7) / 8, packed.Length);
            Assert.Equal(codes, PackedCodes.Unpack(packed, bits, count));
        }
    }

    [Fact]
    public void CodesOutsideTheWidthAreRefused()
        => Assert.Throws<ArgumentOutOfRangeException>(() => PackedCodes.Pack(new sbyte[] { 2 }, 2));

    [Fact]
    public void AWrongPackedLengthIsRefused()
        => Assert.Throws<ArgumentException>(() => PackedCodes.Unpack(new byte[3], 4, 7));
}
