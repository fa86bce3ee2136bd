namespace Ompq.Host.Reproduction;

/// <summary>Accuracy recovery after quantization: post-training (calibration + reconstruction) or a short fine-tune.</summary>
public enum Regime
{
    Ptq,
    Qat,
}

/// <summary>One run of the reproduction: a method's allocation at a budget, recovered in a regime, with a seed.</summary>
/// <param name="AverageBits">The budget as the average weight width of the searched layers (the size follows from it).</param>
public sealed record ReproductionCell(Regime Regime, string Method, double AverageBits, int Seed)
{
    /// <summary>Stable identity: the results file is keyed by it, so a finished cell is never rerun.</summary>
    public string Key => FormattableString.Invariant($"{Regime.ToString().ToLowerInvariant()}-{Method}-b{AverageBits:0.##}-s{Seed}");
}

/// <summary>What one finished cell measured; <c>Failure</c> holds the error line of a cell whose recovery failed (e.g. diverged).</summary>
public sealed record CellResult(
    string Key, string Regime, string Method, double AverageBits, int Seed, double BudgetMiB,
    double Top1, double SizeMiB, double BitOpsG, double SearchSeconds, double RecoverySeconds,
    string Checkpoint, string[] Commands, string? Failure = null);
