namespace Ompq.Runtime.Search;

/// <summary>Which statistics batch-norm uses while the features are captured (spec §7).</summary>
public enum BatchNormMode
{
    /// <summary>Running statistics (inference mode): deterministic, independent of the batch's composition. Default.</summary>
    Eval,
    /// <summary>
    /// The captured batch's own statistics, as the reference code does (it never switches the network to eval mode).
    /// Running statistics are updated only in a throw-away device copy.
    /// </summary>
    Batch,
}
