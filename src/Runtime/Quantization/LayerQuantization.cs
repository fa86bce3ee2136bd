namespace Ompq.Runtime.Quantization;

/// <summary>
/// How one conv or linear layer computes when quantized. The weight (batch-norm folded in, when the layer has one)
/// is quantized symmetrically per output channel to <paramref name="WeightBits"/>:
/// q = clamp(round(w/s_c), −2^(b−1), 2^(b−1) − 1), ŵ = q·s_c.
/// </summary>
/// <param name="WeightBits">2..8.</param>
/// <param name="WeightScales">
/// s_c per output channel, fixed (post-training quantization chooses them); null = max|w_c| / (2^(b−1) − 1) from the
/// current weight, which is what quantization-aware training follows as the weights move.
/// </param>
/// <param name="Input">Fake quantization of the layer's input activation; null = the input stays fp32.</param>
public sealed record LayerQuantization(int WeightBits, float[]? WeightScales = null, ActivationQuant? Input = null);
