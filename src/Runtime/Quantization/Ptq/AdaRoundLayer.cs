namespace Ompq.Runtime.Quantization.Ptq;

/// <summary>
/// Learned rounding of one layer's weight (AdaRound): each weight w on a channel grid of scale s may round down or up
/// from ⌊w/s⌋; a continuous variable V per weight chooses, through the rectified sigmoid
/// h(V) = clip(σ(V)·(ζ − γ) + γ, 0, 1) with ζ = 1.1, γ = −0.1, the soft weight s·clamp(⌊w/s⌋ + h(V), qmin, qmax).
/// V starts where h equals the fractional part (the soft weight is w itself inside the range), the regulariser
/// Σ(1 − |2h − 1|^β) pushes every h to 0 or 1, and the hard weight is s·clamp(⌊w/s⌋ + [h ≥ 0.5]). V is optimised by
/// Adam on the host: one layer holds at most a few hundred thousand weights here, so the chain rule to V is cheap.
/// </summary>
internal sealed class AdaRoundLayer
{
    public const float Zeta = 1.1f;
    public const float Gamma = -0.1f;

    private readonly float[] _floor;
    private readonly float[] _v;
    private readonly float[] _m;
    private readonly float[] _s;
    private readonly int _perChannel;
    private readonly WeightGrid _grid;
    private long _steps;

    public AdaRoundLayer(string layer, string weightName, ReadOnlySpan<float> weight, float[] scales, int bits)
    {
        Layer = layer;
        WeightName = weightName;
        Scales = scales;
        _grid = new WeightGrid(bits);
        _perChannel = weight.Length / scales.Length;
        _floor = new float[weight.Length];
        _v = new float[weight.Length];
        _m = new float[weight.Length];
        _s = new float[weight.Length];
        Nearest = _grid.RoundToNearest(weight, scales);
        for (int i = 0; i < weight.Length; i++)
        {
            float scale = scales[i / _perChannel];
            float ratio = weight[i] / scale;
            float floor = MathF.Floor(ratio);
            _floor[i] = floor;
            // h(V) = frac ⇔ σ(V) = (frac − γ)/(ζ − γ); frac ∈ [0, 1) keeps that inside (0, 1).
            float frac = ratio - floor;
            float sigma = (frac - Gamma) / (Zeta - Gamma);
            _v[i] = MathF.Log(sigma / (1f - sigma));
        }
    }

    public string Layer { get; }
    public string WeightName { get; }
    public float[] Scales { get; }
    public int Count => _v.Length;

    /// <summary>The weight rounded to nearest on the grid (what rounding without reconstruction gives).</summary>
    public float[] Nearest { get; }

    private static float Sigmoid(float v) => 1f / (1f + MathF.Exp(-v));

    private static float H(float v) => Math.Clamp(Sigmoid(v) * (Zeta - Gamma) + Gamma, 0f, 1f);

    /// <summary>s·clamp(⌊w/s⌋ + h(V)) into <paramref name="weight"/>.</summary>
    public void SoftWeight(float[] weight)
        => ForChunks((start, end) =>
        {
            for (int i = start; i < end; i++) weight[i] = Scales[i / _perChannel] * _grid.Clamp(_floor[i] + H(_v[i]));
        });

    /// <summary>s·clamp(⌊w/s⌋ + [h ≥ 0.5]): on the grid exactly (an integer times the channel's scale).</summary>
    public float[] HardWeight()
    {
        var weight = new float[_v.Length];
        for (int i = 0; i < _v.Length; i++)
            weight[i] = _grid.Clamp(_floor[i] + (H(_v[i]) >= 0.5f ? 1f : 0f)) * Scales[i / _perChannel];
        return weight;
    }

    /// <summary>
    /// One Adam step on V for loss = reconstruction + λ·regulariser(β), given ∂reconstruction/∂(soft weight).
    /// λ = 0 leaves the regulariser out (the warm-up).
    /// </summary>
    public void Step(float[] weightGradient, float lambda, float beta, AdamSettings adam)
    {
        _steps++;
        float correction1 = 1f - MathF.Pow(adam.Beta1, _steps);
        float correction2 = 1f - MathF.Pow(adam.Beta2, _steps);
        ForChunks((start, end) => StepRange(start, end, weightGradient, lambda, beta, adam, correction1, correction2));
    }

    private void StepRange(int start, int end, float[] weightGradient, float lambda, float beta, AdamSettings adam, float correction1, float correction2)
    {
        for (int i = start; i < end; i++)
        {
            float sigma = Sigmoid(_v[i]);
            float stretched = sigma * (Zeta - Gamma) + Gamma;
            float g = 0f;
            // h is clipped to [0, 1] and the level clamped to the grid: no gradient flows where either binds
            // (Adam's moments still decay there, as torch's would with a zero gradient).
            if (stretched > 0f && stretched < 1f)
            {
                float level = _floor[i] + stretched;
                float dh = level >= _grid.QMin && level <= _grid.QMax ? weightGradient[i] * Scales[i / _perChannel] : 0f;
                if (lambda > 0f)
                {
                    float centred = 2f * stretched - 1f;
                    dh -= lambda * beta * MathF.Pow(MathF.Abs(centred), beta - 1f) * MathF.Sign(centred) * 2f;
                }
                g = dh * sigma * (1f - sigma) * (Zeta - Gamma);
            }
            _m[i] = adam.Beta1 * _m[i] + (1f - adam.Beta1) * g;
            _s[i] = adam.Beta2 * _s[i] + (1f - adam.Beta2) * g * g;
            _v[i] -= adam.Lr * (_m[i] / correction1) / (MathF.Sqrt(_s[i] / correction2) + adam.Eps);
        }
    }

    /// <summary>
    /// Runs an elementwise pass over the weights in fixed chunks on the thread pool: each element's update depends on
    /// that element alone, so the result does not depend on the scheduling; the host part of a step keeps pace with
    /// the multithreaded kernels.
    /// </summary>
    private void ForChunks(Action<int, int> body)
    {
        const int chunk = 8192;
        int chunks = (_v.Length + chunk - 1) / chunk;
        if (chunks <= 1)
        {
            body(0, _v.Length);
            return;
        }
        Parallel.For(0, chunks, c => body(c * chunk, Math.Min(_v.Length, (c + 1) * chunk)));
    }
}

/// <summary>Adam's settings for the rounding variables (β₁, β₂, ε as torch.optim.Adam's defaults).</summary>
internal readonly record struct AdamSettings(float Lr, float Beta1 = 0.9f, float Beta2 = 0.999f, float Eps = 1e-8f);
