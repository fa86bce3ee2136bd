using TorchSharp;
using static TorchSharp.torch;

namespace Ompq.Tests.Reference;

/// <summary>
/// Fake quantization composed from torch basic ops (torch's fake_quantize_* are not implemented in this
/// TorchSharp): y = (clamp(round(x/scale) + zp, qmin, qmax) − zp)·scale, torch.round = half to even.
/// </summary>
public static class FakeQuantReference
{
    public static Tensor PerTensor(Tensor x, float scale, int zeroPoint, int qmin, int qmax)
    {
        using var divided = x / scale;
        using var rounded = divided.round();
        using var shifted = rounded + zeroPoint;
        using var clamped = shifted.clamp(qmin, qmax);
        using var centred = clamped - zeroPoint;
        return centred * scale;
    }

    /// <summary>Symmetric per-row: scale_c = max|w_c|/(2^(bits−1)−1) (1 for an all-zero row); returns (y, scales).</summary>
    public static (Tensor Y, Tensor Scales) WeightsPerChannel(Tensor w2d, int bits)
    {
        int qmax = (1 << (bits - 1)) - 1;
        using var abs = w2d.abs();
        using var absMax = abs.amax(new long[] { 1 }, keepdim: true);
        using var raw = absMax / qmax;
        using var isZero = absMax.eq(0f);
        using var one = torch.ones_like(raw);
        var scales = torch.where(isZero, one, raw);
        using var divided = w2d / scales;
        using var rounded = divided.round();
        using var clamped = rounded.clamp(-qmax - 1, qmax);
        var y = clamped * scales;
        return (y, scales);
    }
}
