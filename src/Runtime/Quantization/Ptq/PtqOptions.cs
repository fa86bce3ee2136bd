namespace Ompq.Runtime.Quantization.Ptq;

/// <summary>
/// How post-training quantization runs (spec §8, BRECQ with AdaRound, scaled down). Defaults: 8-bit activations,
/// Lp (p = 2.4) weight ranges, learned rounding for <see cref="Iterations"/> Adam steps per block on batches of 32,
/// λ = 0.01, β annealed 20 → 2 after a 20 % warm-up.
/// </summary>
public sealed record PtqOptions
{
    /// <summary>Iterations per block by default: chosen so resnet20 on 28×28 images quantizes in about a minute on two cores.</summary>
    public const int DefaultIterations = 500;

    /// <summary>Adam's default step size on the rounding variables (BRECQ's 1e-3 is for 20k iterations; fewer need larger steps).</summary>
    public const float DefaultLearningRate = 1e-2f;

    /// <summary>Width of every quantized layer's input activation, 2..8.</summary>
    public int ActivationBits { get; init; } = 8;

    /// <summary>Width of the input of layers that read the network input itself (the image), 2..8; 8 as the first layer's weights.</summary>
    public int NetworkInputBits { get; init; } = 8;

    /// <summary>Learn the rounding by block reconstruction; false rounds every weight to nearest.</summary>
    public bool Reconstruct { get; init; } = true;

    public int Iterations { get; init; } = DefaultIterations;

    /// <summary>Calibration images per reconstruction step.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Adam's step size on the rounding variables.</summary>
    public float LearningRate { get; init; } = DefaultLearningRate;

    /// <summary>λ, the weight of the rounding regulariser against the reconstruction loss (per-image sum of squares, batch mean).</summary>
    public float RoundingWeight { get; init; } = 0.01f;

    /// <summary>Fraction of the iterations before the regulariser starts (pure reconstruction).</summary>
    public float WarmupFraction { get; init; } = 0.2f;

    public float BetaStart { get; init; } = 20f;
    public float BetaEnd { get; init; } = 2f;

    /// <summary>p of the weight range search's Lp error.</summary>
    public double WeightNorm { get; init; } = LpWeightScales.DefaultNorm;

    /// <summary>Seed of the reconstruction batches and the activation samples.</summary>
    public int Seed { get; init; }

    /// <summary>Images per forward pass when running whole calibration sets (memory, not results).</summary>
    public int ForwardBatch { get; init; } = 256;

    /// <summary>Throws <see cref="InvalidInputException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        ActivationQuant.CheckBits(ActivationBits, "activation");
        ActivationQuant.CheckBits(NetworkInputBits, "network input activation");
        Require(Iterations >= 1, $"iterations must be >= 1, got {Iterations}");
        Require(BatchSize >= 1, $"reconstruction batch must be >= 1, got {BatchSize}");
        Require(LearningRate > 0 && float.IsFinite(LearningRate), $"learning rate must be a positive number, got {LearningRate}");
        Require(RoundingWeight >= 0 && float.IsFinite(RoundingWeight), $"rounding weight must be >= 0, got {RoundingWeight}");
        Require(WarmupFraction >= 0 && WarmupFraction < 1, $"warm-up fraction must be in [0, 1), got {WarmupFraction}");
        Require(BetaStart >= BetaEnd && BetaEnd >= 1, $"β must anneal from a start >= its end >= 1, got {BetaStart} → {BetaEnd}");
        Require(WeightNorm > 0 && double.IsFinite(WeightNorm), $"the weight range norm p must be positive, got {WeightNorm}");
        Require(ForwardBatch >= 1, $"forward batch must be >= 1, got {ForwardBatch}");
    }

    private static void Require(bool ok, string message)
    {
        if (!ok) throw new InvalidInputException(message);
    }
}
