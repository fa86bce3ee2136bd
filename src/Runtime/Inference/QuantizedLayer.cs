using Ompq.Kernels;
using Ompq.Runtime.Quantization;

namespace Ompq.Runtime.Inference;

/// <summary>
/// One conv or linear layer as deployed: weight codes per output channel (q = clamp(round_half_even(w/s_c)),
/// −2^(b−1)..2^(b−1)−1, PyTorch layout), the channel scales s_c (zero points 0), the fp32 bias, and the grid of the
/// layer's input activation.
/// </summary>
public sealed record QuantizedLayer(string Name, int WeightBits, int[] WeightShape, sbyte[] Codes, float[] Scales, float[] Bias, ActivationQuant Input)
{
    public int OutChannels => WeightShape[0];
    public long PerChannel => Codes.LongLength / OutChannels;

    /// <summary>The input grid as codes are stored (signed grids offset by 128).</summary>
    public CodeGrid InputGrid => Input.Unsigned ? CodeGrid.Unsigned(Input.Bits, Input.Scale) : CodeGrid.Signed(Input.Bits, Input.Scale);

    /// <summary>ŵ = q·s_c, the weight the fake-quantized forward multiplies with.</summary>
    public float[] Dequantized()
    {
        var w = new float[Codes.Length];
        long per = PerChannel;
        for (long i = 0; i < w.LongLength; i++) w[i] = Codes[i] * Scales[i / per];
        return w;
    }

    /// <summary>Codes of <paramref name="weight"/> on per-channel scales (given, or max|w_c|/(2^(b−1)−1) as the fake-quant kernels compute them).</summary>
    public static (sbyte[] Codes, float[] Scales) Quantize(float[] weight, int channels, int bits, float[]? fixedScales)
    {
        int qmax = (1 << (bits - 1)) - 1;
        long per = weight.LongLength / channels;
        var scales = new float[channels];
        var codes = new sbyte[weight.LongLength];
        for (int c = 0; c < channels; c++)
        {
            float scale;
            if (fixedScales is not null) scale = fixedScales[c];
            else
            {
                float absMax = 0f;
                for (long i = c * per; i < (c + 1) * per; i++) absMax = MathF.Max(absMax, MathF.Abs(weight[i]));
                scale = absMax > 0 ? absMax / qmax : 1f;
            }
            scales[c] = scale;
            for (long i = c * per; i < (c + 1) * per; i++)
            {
                float q = MathF.Round(weight[i] / scale, MidpointRounding.ToEven);
                codes[i] = (sbyte)MathF.Min(MathF.Max(q, -qmax - 1), qmax);
            }
        }
        return (codes, scales);
    }
}
