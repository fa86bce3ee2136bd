namespace Ompq.Kernels;

/// <summary>Instruction set of the integer kernels (they have their own paths, independent of the float kernels').</summary>
public enum IntegerIsa
{
    /// <summary>Scalar C#: exact, runs anywhere (the reference the vector paths equal bit for bit).</summary>
    Portable,

    /// <summary>AVX2 vpmaddwd on int16-widened operands (no VNNI; no saturation for any 8-bit operands).</summary>
    Avx2,

    /// <summary>AVX-VNNI vpdpbusd (u8 × s8 → int32, four products per lane per instruction) on 256-bit registers.</summary>
    Vnni,
}

/// <summary>
/// Integer inference ops on 8-bit activation codes in N×H×W×C (channels-last) layout: convolution (incl. depthwise)
/// and linear layers as u8 × s8 products with int32 accumulation and a fused requantization epilogue, plus the few
/// elementwise and pooling ops between them. CPU only: quantized deployment is what it is for.
/// Results are exact integer sums, so every <see cref="IntegerIsa"/> path gives identical outputs.
/// </summary>
public interface IIntegerKernels
{
    IntegerIsa Isa { get; }

    /// <summary>Workers one op may use (1: the calling thread only, which never allocates).</summary>
    int Threads { get; }

    /// <summary>
    /// Packs weight codes in PyTorch layout [K][C/groups][R][S] (values −128..127) into this path's layout. Groups must
    /// be 1 or depthwise (groups = C = K).
    /// </summary>
    PackedInt8Weights PackConvWeights(ReadOnlySpan<sbyte> codes, in Conv2dShape shape);

    /// <summary>Scratch bytes <see cref="Conv2d"/> needs for <paramref name="shape"/> (im2col rows).</summary>
    long Conv2dScratchBytes(in Conv2dShape shape);

    /// <summary>
    /// output[n,p,q,k] = epilogue(Σ input[n,h,w,c]·weight[k,c,r,s]) over u8 input codes (padding reads the input grid's
    /// zero code), optionally adding a residual of the output's shape before the activation.
    /// </summary>
    void Conv2d(in Conv2dShape shape, ReadOnlySpan<byte> input, CodeGrid inputGrid, PackedInt8Weights weights,
        IntegerEpilogue epilogue, IntegerTensor residual, IntegerTensor output, Span<byte> scratch);

    /// <summary>Quantizes an N×C×H×W float tensor onto <paramref name="grid"/> as N×H×W×C codes.</summary>
    void QuantizeNchw(int n, int c, int h, int w, ReadOnlySpan<float> input, CodeGrid grid, Span<byte> output);

    /// <summary>Converts a channels-last tensor of <paramref name="count"/> values (codes or floats) to codes or floats on the output grid, applying an activation.</summary>
    void Convert(long count, IntegerTensor input, Activation activation, IntegerTensor output);

    /// <summary>output = activation(a + b), elementwise over channels-last tensors of equal shape, any mix of codes and floats.</summary>
    void Add(long count, IntegerTensor a, IntegerTensor b, Activation activation, IntegerTensor output);

    /// <summary>Max pooling (padding never wins); codes in and out on the same grid take a fast path (code order is value order).</summary>
    void MaxPool(in Pool2dShape shape, IntegerTensor input, IntegerTensor output);

    /// <summary>Average pooling of codes or floats (PyTorch's count_include_pad rule), output codes or floats.</summary>
    void AvgPool(in Pool2dShape shape, IntegerTensor input, IntegerTensor output);

    /// <summary>Mean over H×W per channel: N×H×W×C → N×C.</summary>
    void GlobalAvgPool(int n, int c, int hw, IntegerTensor input, IntegerTensor output);
}
