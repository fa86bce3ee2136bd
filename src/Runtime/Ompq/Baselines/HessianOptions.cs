namespace Ompq.Runtime.Search.Baselines;

/// <summary>How the Hessian-vector products of the trace estimate are formed.</summary>
public enum HessianEstimator
{
    /// <summary>
    /// Central differences of the network's output along one unit's probe give J_i v_i, and v_iᵀ H_ii v_i =
    /// (J_i v_i)ᵀ ∇²_z L (J_i v_i), batch-norm on running statistics (as HAWQ's reference, which runs in eval mode).
    /// Exact for networks that are piecewise linear in each unit's weights (conv/linear, eval batch-norm, ReLU/ReLU6,
    /// pooling, residual adds; a unit's layers side by side, not in series): the term ∇L·∇²_{W_i} z then vanishes.
    /// A ReLU that flips within the step costs an error of O(step), so the differences stay accurate in fp32. Default.
    /// </summary>
    OutputDifference,

    /// <summary>
    /// Central differences of the loss gradient, (g(w + εv) − g(w − εv))/2ε, all units probed at once, batch-norm on the
    /// batch's statistics (the training executor). A ReLU that flips within the step changes the gradient by O(1), i.e.
    /// the difference by O(1/ε): accurate only when no activation crosses zero within the step, which on a real network
    /// and batch needs a step so small that fp32 rounding of the gradients dominates instead. Kept for comparison.
    /// </summary>
    GradientDifference,
}

/// <summary>How the Hessian traces are estimated: probes, estimator, finite-difference step and the probes' seed.</summary>
/// <param name="Probes">Rademacher probes per unit.</param>
/// <param name="RelativeStep">ρ: each unit's weights move by ρ·‖W_i‖ along the probe (ε_i = ρ·‖W_i‖/√n_i); null = the estimator's default.</param>
public sealed record HessianOptions(int Probes = HessianOptions.DefaultProbes, HessianEstimator Estimator = HessianEstimator.OutputDifference,
    double? RelativeStep = null, int Seed = 0)
{
    public const int DefaultProbes = 16;
    public const int MaxProbes = 100_000;

    /// <summary>
    /// Output differences: large enough that the logit differences stand far above fp32 rounding, small enough that
    /// few activations flip. Gradient differences: small enough that on a small network no activation flips (the
    /// reference test's model); on resnet20 no step is accurate (see <see cref="HessianEstimator.GradientDifference"/>).
    /// </summary>
    public double Step => RelativeStep ?? (Estimator == HessianEstimator.OutputDifference ? 1e-3 : 1e-5);

    public void Validate()
    {
        if (Probes < 2 || Probes > MaxProbes)
            throw new InvalidInputException($"Hessian probes {Probes} is invalid: expected 2..{MaxProbes} (two at least, for a standard error)");
        if (!double.IsFinite(Step) || Step <= 0 || Step > 0.1)
            throw new InvalidInputException($"Hessian finite-difference step {Step} is invalid: expected a relative step in (0, 0.1]");
        if (!Enum.IsDefined(Estimator)) throw new ArgumentException($"unknown Hessian estimator {Estimator}");
    }
}
