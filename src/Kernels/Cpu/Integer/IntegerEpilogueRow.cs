using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu.Integer;

/// <summary>Where one op's requantized outputs go: per-channel epilogue arrays, optional residual, output codes or floats (channels-last rows of <see cref="Channels"/>).</summary>
internal unsafe struct EpilogueTarget
{
    public int* Correction;
    public float* Multiplier;
    public float* Bias;
    public float Low, High;
    public int Channels;
    public byte* OutCodes;
    public float* OutFloats;
    public CodeGrid OutGrid;
    public byte* ResidualCodes;
    public float* ResidualFloats;
    public CodeGrid ResidualGrid;

    public static (float Low, float High) Bounds(Activation activation) => activation switch
    {
        Activation.Relu => (0f, float.PositiveInfinity),
        Activation.Relu6 => (0f, 6f),
        _ => (float.NegativeInfinity, float.PositiveInfinity),
    };
}

/// <summary>
/// The fused requantization of one output row segment: y = (acc − corr)·mul + bias (one fused multiply-add), + residual,
/// activation clamp, then a float store or code = clamp(round_half_even(y/scale) + zero). The vector and scalar forms
/// do the same IEEE operations in the same order, so every path writes identical bytes.
/// </summary>
internal static unsafe class IntegerEpilogueRow
{
    /// <summary>Applies the epilogue to acc[0..count) for channels k0.. of output row <paramref name="row"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Apply(in EpilogueTarget e, int* acc, long row, int k0, int count, bool vector)
    {
        int i = 0;
        if (vector)
            for (; i + 8 <= count; i += 8) Vector8(e, acc + i, row * e.Channels + k0 + i, k0 + i);
        for (; i < count; i++) Scalar(e, acc[i], row * e.Channels + k0 + i, k0 + i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scalar(in EpilogueTarget e, int acc, long index, int k)
    {
        float y = MathF.FusedMultiplyAdd(acc - e.Correction[k], e.Multiplier[k], e.Bias[k]);
        if (e.ResidualCodes != null) y += (e.ResidualCodes[index] - e.ResidualGrid.Zero) * e.ResidualGrid.Scale;
        else if (e.ResidualFloats != null) y += e.ResidualFloats[index];
        y = MathF.Min(MathF.Max(y, e.Low), e.High);
        if (e.OutFloats != null) e.OutFloats[index] = y;
        else e.OutCodes[index] = (byte)e.OutGrid.Quantize(y);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Vector8(in EpilogueTarget e, int* acc, long index, int k)
    {
        var sums = Avx2.Subtract(Avx.LoadVector256(acc), Avx.LoadVector256(e.Correction + k));
        var y = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), Avx.LoadVector256(e.Multiplier + k), Avx.LoadVector256(e.Bias + k));
        if (e.ResidualCodes != null)
        {
            var codes = Avx2.ConvertToVector256Int32(e.ResidualCodes + index);
            var centred = Avx.ConvertToVector256Single(Avx2.Subtract(codes, Vector256.Create(e.ResidualGrid.Zero)));
            y = Avx.Add(y, Avx.Multiply(centred, Vector256.Create(e.ResidualGrid.Scale)));
        }
        else if (e.ResidualFloats != null)
        {
            y = Avx.Add(y, Avx.LoadVector256(e.ResidualFloats + index));
        }
        y = Avx.Min(Avx.Max(y, Vector256.Create(e.Low)), Vector256.Create(e.High));
        if (e.OutFloats != null)
        {
            Avx.Store(e.OutFloats + index, y);
            return;
        }
        StoreCodes(e.OutCodes + index, y, e.OutGrid);
    }

    /// <summary>Eight floats → eight codes on <paramref name="grid"/> (as <see cref="CodeGrid.Quantize"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreCodes(byte* destination, Vector256<float> y, CodeGrid grid)
    {
        var q = Avx.Add(Avx.RoundToNearestInteger(Avx.Divide(y, Vector256.Create(grid.Scale))), Vector256.Create((float)grid.Zero));
        q = Avx.Min(Avx.Max(q, Vector256.Create((float)grid.Min)), Vector256.Create((float)grid.Max));
        var ints = Avx.ConvertToVector256Int32WithTruncation(q);
        var shorts = Vector256.Narrow(ints.AsUInt32(), ints.AsUInt32());
        var bytes = Vector256.Narrow(shorts, shorts);
        *(long*)destination = bytes.AsInt64().GetElement(0);
    }
}
