using Ompq.Kernels;
using Ompq.Kernels.Cpu.Integer;

namespace Ompq.Tests.Inference;

/// <summary>
/// The integer conv/linear kernels against a plain-loop reference with the same epilogue arithmetic: exact integer sums
/// make every path (VNNI, AVX2, portable) write identical bytes, on odd channel counts, strides, padding, depthwise
/// and 1×1 shapes, signed and unsigned input grids, code and float outputs, with and without a residual.
/// </summary>
public sealed class IntegerKernelTests
{
    public static TheoryData<IntegerIsa, int> Cases()
    {
        var data = new TheoryData<IntegerIsa, int>();
        foreach (var isa in IntegerIsas.Supported)
            for (int c = 0; c < 12; c++) data.Add(isa, c);
        return data;
    }

    private static Conv2dShape ShapeFor(int index, Random rng) => index switch
    {
        0 => Conv2dShape.Square(2, 3, 9, 7, 5, 3, stride: 1, pad: 1),
        1 => Conv2dShape.Square(1, 16, 8, 8, 17, 1),                       // direct 1×1 path
        2 => Conv2dShape.Square(2, 7, 11, 10, 33, 3, stride: 2, pad: 1),
        3 => Conv2dShape.Square(1, 13, 6, 6, 13, 3, stride: 1, pad: 1, groups: 13), // depthwise
        4 => Conv2dShape.Square(3, 64, 1, 1, 10, 1),                        // linear
        5 => Conv2dShape.Square(1, 1, 28, 28, 16, 3, stride: 1, pad: 1),    // resnet20 stem
        6 => Conv2dShape.Square(1, 3, 17, 17, 8, 7, stride: 2, pad: 3),
        7 => Conv2dShape.Square(2, 24, 5, 5, 24, 5, stride: 2, pad: 2, groups: 24),
        8 => Conv2dShape.Square(1, 5, 1, 1, 3, 1),                          // linear, odd features (im2col path)
        _ => Conv2dShape.Square(rng.Next(1, 3), rng.Next(1, 40), rng.Next(3, 12), rng.Next(3, 12), rng.Next(1, 50), rng.Next(1, 4) * 2 - 1, stride: rng.Next(1, 3), pad: rng.Next(0, 2)),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ConvMatchesReference(IntegerIsa isa, int index)
    {
        var rng = new Random(100 + index);
        var shape = ShapeFor(index, rng);
        int bits = 2 + index % 7;
        var inputGrid = index % 2 == 0 ? CodeGrid.Unsigned(8, 0.05f) : CodeGrid.Signed(8, 0.03f);
        var input = new byte[shape.InputSize];
        for (int i = 0; i < input.Length; i++) input[i] = (byte)rng.Next(inputGrid.Min, inputGrid.Max + 1);
        var codes = new sbyte[shape.WeightSize];
        for (int i = 0; i < codes.Length; i++) codes[i] = (sbyte)rng.Next(-(1 << (bits - 1)), 1 << (bits - 1));
        int k = shape.K;
        long depth = shape.WeightSize / k;
        var correction = new int[k];
        var multiplier = new float[k];
        var bias = new float[k];
        for (int o = 0; o < k; o++)
        {
            long sum = 0;
            for (long j = 0; j < depth; j++) sum += codes[o * depth + j];
            correction[o] = (int)(inputGrid.Zero * sum);
            multiplier[o] = inputGrid.Scale * (0.01f + 0.02f * (float)rng.NextDouble());
            bias[o] = (float)(rng.NextDouble() - 0.5);
        }
        var activation = (Activation)(index % 3);
        var epilogue = new IntegerEpilogue(correction, multiplier, bias, activation);
        var outGrid = index % 3 == 0 ? CodeGrid.Signed(8, 0.07f) : CodeGrid.Unsigned(6, 0.05f);
        bool codesOut = index % 4 != 3;
        var residual = index % 5 == 1 ? new float[shape.OutputSize].Select(_ => (float)rng.NextDouble() - 0.5f).ToArray() : null;

        var expected = Reference(shape, input, inputGrid, codes, epilogue, residual, outGrid, codesOut);
        var kernels = new CpuIntegerKernels(threads: index % 2 + 1, isa: isa);
        var packed = kernels.PackConvWeights(codes, shape);
        var scratch = new byte[kernels.Conv2dScratchBytes(shape)];
        var res = residual is null ? IntegerTensor.None : IntegerTensor.OfFloats(residual);
        if (codesOut)
        {
            var output = new byte[shape.OutputSize];
            kernels.Conv2d(shape, input, inputGrid, packed, epilogue, res, IntegerTensor.OfCodes(output, outGrid), scratch);
            Assert.Equal(expected.Select(v => (byte)v).ToArray(), output);
        }
        else
        {
            var output = new float[shape.OutputSize];
            kernels.Conv2d(shape, input, inputGrid, packed, epilogue, res, IntegerTensor.OfFloats(output), scratch);
            Assert.Equal(expected, output);
        }
    }

    /// <summary>Plain loops over channels-last memory: int sums, then the documented epilogue in scalar float.</summary>
    private static float[] Reference(Conv2dShape s, byte[] x, CodeGrid grid, sbyte[] w, IntegerEpilogue e, float[]? residual, CodeGrid outGrid, bool codesOut)
    {
        var y = new float[s.OutputSize];
        int cg = s.CPerGroup, kg = s.KPerGroup;
        float low = e.Activation == Activation.None ? float.NegativeInfinity : 0f;
        float high = e.Activation == Activation.Relu6 ? 6f : float.PositiveInfinity;
        for (int n = 0; n < s.N; n++)
            for (int p = 0; p < s.P; p++)
                for (int q = 0; q < s.Q; q++)
                    for (int k = 0; k < s.K; k++)
                    {
                        int g = k / kg, acc = 0;
                        for (int c = 0; c < cg; c++)
                            for (int r = 0; r < s.R; r++)
                                for (int t = 0; t < s.S; t++)
                                {
                                    int h = p * s.StrideH - s.PadH + r, ww = q * s.StrideW - s.PadW + t;
                                    int code = h < 0 || h >= s.H || ww < 0 || ww >= s.W ? grid.Zero : x[((n * s.H + h) * s.W + ww) * s.C + g * cg + c];
                                    acc += code * w[((k * cg + c) * s.R + r) * s.S + t];
                                }
                        long index = ((long)(n * s.P + p) * s.Q + q) * s.K + k;
                        float v = MathF.FusedMultiplyAdd(acc - e.Correction[k], e.Multiplier[k], e.Bias[k]);
                        if (residual is not null) v += residual[index];
                        v = MathF.Min(MathF.Max(v, low), high);
                        y[index] = codesOut ? outGrid.Quantize(v) : v;
                    }
        return y;
    }
}
