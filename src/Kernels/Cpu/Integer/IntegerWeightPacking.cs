using System.Runtime.InteropServices;

namespace Ompq.Kernels.Cpu.Integer;

/// <summary>
/// Weight layouts of the integer GEMM. The reduction index runs j = (r·S + s)·C + c, the order in which im2col
/// lays a channels-last window out. Output channels come in blocks of <see cref="IntegerGemm.BlockChannels"/>; within a
/// block, the VNNI and portable paths store 4 consecutive j of each channel together (one vpdpbusd lane: 4 bytes), the
/// AVX2 path 2 consecutive j as int16 (one vpmaddwd lane). Missing channels and the j padding are zero weights.
/// </summary>
internal static class IntegerWeightPacking
{
    public static int PaddedDepth(int depth) => (depth + 3) / 4 * 4;

    public static PackedInt8Weights Pack(IntegerIsa isa, ReadOnlySpan<sbyte> codes, in Conv2dShape shape)
    {
        if (shape.Groups != 1 && !shape.IsDepthwise)
            throw new KernelArgumentException($"integer conv2d supports groups = 1 or depthwise, got groups={shape.Groups} for C={shape.C}, K={shape.K}");
        long expected = shape.WeightSize;
        if (codes.Length != expected) throw new KernelArgumentException($"integer conv2d weight holds {codes.Length} codes, expected {expected} for {shape}");
        int taps = shape.R * shape.S;
        if (shape.IsDepthwise)
        {
            var perTap = GC.AllocateArray<int>(checked(taps * shape.C), pinned: true);
            for (int c = 0; c < shape.C; c++)
                for (int t = 0; t < taps; t++)
                    perTap[t * shape.C + c] = codes[c * taps + t];
            return new PackedInt8Weights(isa, shape.K, taps, taps, depthwise: true, Array.Empty<byte>(), perTap);
        }
        int depth = checked(shape.C * taps);
        int padded = PaddedDepth(depth);
        int blocks = (shape.K + IntegerGemm.BlockChannels - 1) / IntegerGemm.BlockChannels;
        int lanesPerGroup = isa == IntegerIsa.Avx2 ? 2 : 4;
        int bytesPerValue = isa == IntegerIsa.Avx2 ? 2 : 1;
        var data = GC.AllocateArray<byte>(checked(blocks * padded * IntegerGemm.BlockChannels * bytesPerValue), pinned: true);
        var asShorts = MemoryMarshal.Cast<byte, short>(data.AsSpan());
        int groups = padded / lanesPerGroup;
        for (int k = 0; k < shape.K; k++)
        {
            int block = k / IntegerGemm.BlockChannels, lane = k % IntegerGemm.BlockChannels;
            for (int c = 0; c < shape.C; c++)
                for (int t = 0; t < taps; t++)
                {
                    int j = t * shape.C + c;
                    sbyte value = codes[(k * shape.C + c) * taps + t];
                    long index = ((long)(block * groups + j / lanesPerGroup) * IntegerGemm.BlockChannels + lane) * lanesPerGroup + j % lanesPerGroup;
                    if (bytesPerValue == 2) asShorts[(int)index] = value;
                    else data[index] = (byte)value;
                }
        }
        return new PackedInt8Weights(isa, shape.K, depth, padded, depthwise: false, data, Array.Empty<int>());
    }
}
