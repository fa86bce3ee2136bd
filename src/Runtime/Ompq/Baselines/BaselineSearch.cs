using System.Diagnostics;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Search.Baselines;

/// <summary>
/// The baselines OMPQ is compared with (spec §10), each under the same units, accounting and budgets as
/// <see cref="OmpqSearch"/> (<see cref="SearchOptions"/>: mode, bit range, size and BitOps budgets, activation bits),
/// each timed like it. β, the coefficient rule, the ORM form and the batch-norm mode of the options do not apply.
/// </summary>
public static class BaselineSearch
{
    /// <summary>Every searched unit at the largest single width that fits (<see cref="UniformAllocation"/>).</summary>
    public static SearchResult Uniform(IQuantizableModel model, SearchOptions options, string device)
    {
        var setup = Setup.For(model, options);
        var clock = Stopwatch.StartNew();
        var (bits, width) = UniformAllocation.Choose(setup.Problem, options.Bits);
        var timings = new SearchTimings(0, 0, clock.Elapsed.TotalSeconds);
        return setup.Result(model, device, images: 0, bits, objective: 0, $"uniform: {UniformDetails.Rule}", nodes: options.Bits.Max - width + 1,
            timings, SearchMethod.Uniform, [], uniform: new UniformDetails(width));
    }

    /// <summary>Seeded random allocations filled up to the budgets; the largest of <paramref name="draws"/> (<see cref="RandomAllocation"/>).</summary>
    public static SearchResult Random(IQuantizableModel model, SearchOptions options, string device, int seed, int draws)
    {
        var setup = Setup.For(model, options);
        var clock = Stopwatch.StartNew();
        var (bits, draw) = RandomAllocation.Choose(setup.Problem, seed, draws);
        var timings = new SearchTimings(0, 0, clock.Elapsed.TotalSeconds);
        return setup.Result(model, device, images: 0, bits, objective: 0, $"random: {RandomDetails.Rule}", nodes: draws,
            timings, SearchMethod.Random, [], random: new RandomDetails(seed, draws, draw));
    }

    /// <summary>HAWQ-V3's Hessian-trace allocation on a labelled batch (<see cref="HawqSearch"/>).</summary>
    public static SearchResult Hawq(GraphModel model, Tensor images, IReadOnlyList<int> labels, SearchOptions options, HessianOptions hessian,
        Action<int, int>? onProbe = null)
        => HawqSearch.Run(model, images, labels, options, hessian, onProbe);

    /// <summary>What every method shares: the units under the accounting, their costs and the checked budgets.</summary>
    internal sealed record Setup(IReadOnlyList<QuantUnit> Units, FixedLayers Fixed, CostModel Costs, AllocationProblem Problem, SearchOptions Options)
    {
        public static Setup For(IQuantizableModel model, SearchOptions options)
        {
            options.Bits.Validate();
            IReadOnlyList<QuantUnit> units = SizeAccountingRules.Units(model, options.Mode, options.Accounting);
            FixedLayers fixedLayers = model.Fixed(options.Mode);
            var costs = new CostModel(units, fixedLayers, options.ActivationBits);
            // Budgets are checked before any work, so an impossible request fails at once (as OmpqSearch does).
            var problem = AllocationProblem.Build(costs, new double[units.Count], options.Bits, options.SizeBudgetMiB, options.BitOpsBudgetG);
            return new Setup(units, fixedLayers, costs, problem, options);
        }

        /// <summary>
        /// The result record of a baseline: no ORM, γ = θ = 0, <paramref name="coefficients"/> (or 0) as each unit's
        /// coefficient, the continuous fields equal to the integer ones (no relaxation is solved).
        /// </summary>
        public SearchResult Result(IQuantizableModel model, string device, int images, int[] bits, double objective, string integerMethod,
            long nodes, SearchTimings timings, SearchMethod method, IReadOnlyList<string> warnings, double[]? coefficients = null,
            bool provenOptimal = true, HessianDetails? hessian = null, RandomDetails? random = null, UniformDetails? uniform = null)
        {
            var unitResults = new UnitResult[Units.Count];
            for (int i = 0; i < Units.Count; i++)
            {
                var u = Units[i];
                unitResults[i] = new UnitResult(u.Name, u.Layers, u.Params, u.Macs, u.FeatureSize, OrmForm.Auto, u.FixedBits is not null,
                    bits[i], bits[i], Gamma: 0, Theta: 0, Coefficient: coefficients?[i] ?? 0);
            }
            double size = Costs.SizeMiB(bits);
            return new SearchResult(model.Name, Options.Mode, device, images, Options, unitResults, Fixed, new double[0, 0],
                size, Costs.BitOpsG(bits), objective, objective, size, $"none ({method.ToString().ToLowerInvariant()} solves no continuous relaxation)",
                integerMethod, nodes, provenOptimal, timings, ThetaLogScale: 0, warnings,
                OmpqSearch.PinnedSizeMiB(model, Options, Fixed, bits), method, hessian, random, uniform);
        }
    }
}
