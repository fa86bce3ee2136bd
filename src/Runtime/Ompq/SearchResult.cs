using Ompq.Runtime.Nn;

namespace Ompq.Runtime.Search;

/// <summary>
/// One unit's outcome: its cost data, importance and chosen width (and the LP's continuous width). Theta is
/// normalised (θ_i / max θ); the result's ThetaLogScale is the natural log of the factor divided out.
/// </summary>
public sealed record UnitResult(
    string Name,
    IReadOnlyList<string> Layers,
    long Params,
    long Macs,
    long FeatureSize,
    OrmForm Form,
    bool Pinned,
    int Bits,
    double BitsContinuous,
    double Gamma,
    double Theta,
    double Coefficient);


/// <summary>
/// Wall time of each phase in seconds (features = forward + on-device reduction; orm = products + normalising;
/// hessian = the Hessian baseline's trace estimate; solve = building the objective from them and allocating).
/// </summary>
public sealed record SearchTimings(double Features, double Orm, double Solve, double Hessian = 0)
{
    public double Total => Features + Orm + Solve + Hessian;
}

/// <summary>
/// Everything a search produced, enough to write the report and reproduce the decision. Warnings say where the
/// result is weaker than it looks (e.g. coefficients the solver cannot resolve); the caller shows them.
/// SizePinnedMiB is the size of the same widths under the default (pinned) accounting, beside SizeMiB under the one
/// used, so a reference-accounting result shows what it weighs by this engine's rule.
/// A baseline (<see cref="Method"/> other than OMPQ) has no ORM (0×0), γ = θ = 0 and its own details (one of
/// <see cref="Hessian"/>, <see cref="Random"/>, <see cref="Uniform"/>); its continuous fields repeat the integer ones.
/// </summary>
public sealed record SearchResult(
    string Model,
    SearchMode Mode,
    string Device,
    int Images,
    SearchOptions Options,
    IReadOnlyList<UnitResult> Units,
    FixedLayers Fixed,
    double[,] Orm,
    double SizeMiB,
    double BitOpsG,
    double ObjectiveContinuous,
    double ObjectiveInteger,
    double SizeContinuousMiB,
    string ContinuousMethod,
    string IntegerMethod,
    long SolverNodes,
    bool IntegerProvenOptimal,
    SearchTimings Timings,
    double ThetaLogScale,
    IReadOnlyList<string> Warnings,
    double SizePinnedMiB,
    SearchMethod Method = SearchMethod.Ompq,
    Baselines.HessianDetails? Hessian = null,
    Baselines.RandomDetails? Random = null,
    Baselines.UniformDetails? Uniform = null)
{
    public double SizeSlackMiB => Options.SizeBudgetMiB - SizeMiB;
    public double? BitOpsSlackG => Options.BitOpsBudgetG is { } g ? g - BitOpsG : null;
}
