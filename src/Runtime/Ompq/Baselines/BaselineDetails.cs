namespace Ompq.Runtime.Search.Baselines;

/// <summary>
/// One unit's Hessian sensitivity: the Hutchinson estimate of Tr(H_i) over its weights with the standard error of
/// the mean over probes, and the objective Ω_i(b) = max(Tr(H_i)/n_i, 0)·‖Q_b(W_i) − W_i‖² for each width
/// <see cref="MinBits"/> + t (index t).
/// </summary>
public sealed record UnitSensitivity(string Name, long Weights, double Trace, double TraceStdError, int MinBits, IReadOnlyList<double> QuantizationError,
    IReadOnlyList<double> Cost)
{
    /// <summary>Tr(H_i)/n_i, the average curvature per weight that multiplies the squared perturbation.</summary>
    public double MeanTrace => Trace / Weights;
    public double MeanTraceStdError => TraceStdError / Weights;
}

/// <summary>How the Hessian baseline estimated its traces, and what it found per unit.</summary>
/// <param name="Probes">Rademacher probes per unit.</param>
/// <param name="RelativeStep">ρ: unit i is perturbed by ε_i·v with ε_i = ρ·‖W_i‖/√n_i, so ‖ε_i v‖ = ρ‖W_i‖.</param>
/// <param name="Images">Labelled images in the batch whose mean cross-entropy is differentiated.</param>
/// <param name="Seed">Seed of the probes.</param>
public sealed record HessianDetails(HessianEstimator Estimator, int Probes, double RelativeStep, int Images, int Seed, IReadOnlyList<UnitSensitivity> Units)
{
    public const string Objective = "minimise Σ_i max(Tr(H_i)/n_i, 0)·‖Q_b(W_i) − W_i‖² (HAWQ-V3), Q = symmetric per-output-channel quantization";

    /// <summary>One sentence on how the products v_iᵀ H_ii v_i were formed.</summary>
    public string Description => Estimator == HessianEstimator.OutputDifference
        ? "Hutchinson, one unit probed at a time: v_iᵀH_iiv_i = (J_iv_i)ᵀ ∇²_z L (J_iv_i), J_iv_i = (z(w + ε_iv_i) − z(w − ε_iv_i))/2ε_i " +
          "from the inference forward (batch-norm on running statistics), exact for networks piecewise linear in each unit's weights"
        : "Hutchinson, all units probed at once: v_iᵀ(g(w + εv) − g(w − εv))_i/2ε_i, central differences of the mean cross-entropy's " +
          "gradient from the training executor (batch-norm on the batch's statistics; running statistics left as they were)";
}

/// <summary>The random baseline's rule and draw count.</summary>
public sealed record RandomDetails(int Seed, int Draws, int ChosenDraw)
{
    public const string Rule =
        "each draw: every searched unit's width uniform in its range; while a budget is exceeded, a uniformly chosen unit above its " +
        "narrowest width loses one bit; then, while some unit can gain a bit within every budget, a uniformly chosen such unit gains one. " +
        "Of the draws, the one of largest size (first on ties)";
}

/// <summary>The uniform baseline's width.</summary>
public sealed record UniformDetails(int Bits)
{
    public const string Rule = "every searched unit at the largest single width of the range that fits every budget";
}
