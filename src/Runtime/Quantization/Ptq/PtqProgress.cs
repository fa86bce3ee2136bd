namespace Ompq.Runtime.Quantization.Ptq;

/// <summary>Where a block stands.</summary>
public enum PtqStage
{
    /// <summary>Float target, activation grids and the nearest-rounding error of the block.</summary>
    Calibrating,
    /// <summary>Learning the rounding (<see cref="PtqProgress.Iteration"/> of <see cref="PtqProgress.Iterations"/>).</summary>
    Reconstructing,
    /// <summary>The block is done; <see cref="PtqProgress.Finished"/> holds its result.</summary>
    Finished,
}

/// <summary>Progress of post-training quantization, block by block (the library reports; the CLI prints).</summary>
/// <param name="Block">0-based block index.</param>
/// <param name="Loss">Reconstruction loss (per-image sum of squares) of the last step while reconstructing.</param>
public readonly record struct PtqProgress(int Block, int Blocks, string Name, PtqStage Stage, int Iteration = 0, int Iterations = 0,
    double Loss = 0, BlockReconstructionResult? Finished = null);

/// <summary>
/// One block's outcome. Errors are the mean squared difference per output element between the quantized block and the
/// float block on the calibration set, the quantized block reading the quantized model's preceding output and the float
/// block the float model's.
/// </summary>
/// <param name="ErrorNearest">With every weight rounded to nearest.</param>
/// <param name="ErrorLearned">With the learned rounding (null without reconstruction).</param>
/// <param name="LearnedKept">True when the learned rounding was kept; false when it did not lower the error, so nearest stayed.</param>
public sealed record BlockReconstructionResult(string Name, IReadOnlyList<string> Layers, double ErrorNearest, double? ErrorLearned,
    bool LearnedKept, int Iterations, double Seconds)
{
    /// <summary>The error of the rounding the model keeps.</summary>
    public double ErrorFinal => LearnedKept && ErrorLearned is { } learned ? learned : ErrorNearest;
}

/// <summary>What post-training quantization produced: the configuration the model now runs with, and each block's outcome.</summary>
public sealed record PtqResult(QuantizationConfig Quantization, IReadOnlyList<BlockReconstructionResult> Blocks, double Seconds);
