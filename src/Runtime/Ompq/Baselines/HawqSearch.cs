using System.Diagnostics;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Search.Baselines;

/// <summary>
/// The Hessian-trace baseline (HAWQ-V2/V3, spec §10): unit i at width b costs Ω_i(b) = (Tr(H_i)/n_i)·‖Q_b(W_i) − W_i‖²
/// (the second-order change of the loss when every weight moves by its quantization error, with the Hessian replaced
/// by its average curvature per weight); the widths minimise Σ Ω_i(b_i) under the same budgets, solved exactly by
/// <see cref="IntegerAllocation"/> with per-width values −Ω_i(b). A negative trace estimate (noise, or a saddle) is
/// taken as 0 — a cost cannot reward quantization error — and named in the warnings.
/// </summary>
internal static class HawqSearch
{
    public static SearchResult Run(GraphModel model, Tensor images, IReadOnlyList<int> labels, SearchOptions options, HessianOptions hessian,
        Action<int, int>? onProbe)
    {
        hessian.Validate();
        var setup = BaselineSearch.Setup.For(model, options);
        var units = setup.Units;
        var problem = setup.Problem;

        var clock = Stopwatch.StartNew();
        TraceEstimate[] traces = HutchinsonTrace.Estimate(model, images, labels, units.Select(u => u.Layers).ToArray(), hessian, onProbe);
        double hessianSeconds = clock.Elapsed.TotalSeconds;

        clock.Restart();
        var warnings = new List<string>();
        var sensitivities = new UnitSensitivity[units.Count];
        var values = new double[units.Count][];
        for (int i = 0; i < units.Count; i++)
        {
            int min = problem.MinBits[i], max = problem.MaxBits[i];
            double[] error = QuantizationError.Of(model, images.Kernels, units[i].Layers, min, max);
            var t = traces[i];
            double curvature = Math.Max(t.Trace, 0) / t.Weights;
            if (t.Trace < 0)
                warnings.Add($"unit {units[i].Name}: the Hessian trace estimate is negative ({t.Trace:G4} ± {t.StdError:G2}); its cost is taken as 0");
            double[] cost = error.Select(e => curvature * e).ToArray();
            values[i] = cost.Select(c => -c).ToArray();
            sensitivities[i] = new UnitSensitivity(units[i].Name, t.Weights, t.Trace, t.StdError, min, error, cost);
        }
        var integer = IntegerAllocation.Solve(problem.WithWidthValues(values));
        double objective = Enumerable.Range(0, units.Count).Sum(i => sensitivities[i].Cost[integer.Bits[i] - sensitivities[i].MinBits]);
        double solveSeconds = clock.Elapsed.TotalSeconds;

        var details = new HessianDetails(hessian.Estimator, hessian.Probes, hessian.Step, images.Dim(0), hessian.Seed, sensitivities);
        return setup.Result(model, images.Kernels.Info.Id, images.Dim(0), integer.Bits, objective, integer.Method, integer.Nodes,
            new SearchTimings(0, 0, solveSeconds, hessianSeconds), SearchMethod.Hawq, warnings,
            coefficients: sensitivities.Select(s => Math.Max(s.MeanTrace, 0)).ToArray(), provenOptimal: integer.ProvenOptimal, hessian: details);
    }
}
