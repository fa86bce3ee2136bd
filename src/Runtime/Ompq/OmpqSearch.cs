using System.Diagnostics;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Search;

/// <summary>The whole method: features → ORM → importance → exact allocation (spec §2–6).</summary>
public static class OmpqSearch
{
    /// <param name="imagesPerForward">Images per forward pass, from <see cref="SearchMemory.Plan"/>; null: the whole batch in one.</param>
    public static SearchResult Run(IQuantizableModel model, Tensor batch, SearchOptions options,
        Action<int, int, string>? onUnitReduced = null, int? imagesPerForward = null)
    {
        options.Bits.Validate();
        IReadOnlyList<QuantUnit> units = SizeAccountingRules.Units(model, options.Mode, options.Accounting);
        FixedLayers fixedLayers = model.Fixed(options.Mode);
        var costs = new CostModel(units, fixedLayers, options.ActivationBits);
        // Validate the budgets before the forward pass so an impossible request fails at once.
        var unweighted = AllocationProblem.Build(costs, new double[units.Count], options.Bits, options.SizeBudgetMiB, options.BitOpsBudgetG);

        var clock = Stopwatch.StartNew();
        using var ormBuilder = new OrthogonalityMatrix(batch.Kernels, units.Select(u => u.Name).ToArray(), batch.Dim(0), options.Form);
        FeatureCapture.Run(model, batch, options.Mode, ormBuilder, onUnitReduced, options.BatchNorm, imagesPerForward);
        double features = clock.Elapsed.TotalSeconds;

        clock.Restart();
        double[,] orm = ormBuilder.Compute();
        double ormTime = clock.Elapsed.TotalSeconds;

        clock.Restart();
        var importance = LayerImportance.FromOrm(orm, options.Beta, options.Coefficients);
        var problem = unweighted with { Coefficients = importance.Coefficients };
        var continuous = ContinuousAllocation.Solve(problem);
        var integer = IntegerAllocation.Solve(problem);
        double solve = clock.Elapsed.TotalSeconds;

        var unitResults = new UnitResult[units.Count];
        double continuousSizeBits = costs.FixedSizeBits;
        for (int i = 0; i < units.Count; i++)
        {
            var u = units[i];
            continuousSizeBits += u.Params * continuous.Bits[i];
            unitResults[i] = new UnitResult(u.Name, u.Layers, u.Params, u.Macs, u.FeatureSize, ormBuilder.FormOf(i),
                u.FixedBits is not null, integer.Bits[i], continuous.Bits[i],
                importance.Gamma[i], importance.Theta[i], importance.Coefficients[i]);
        }

        return new SearchResult(model.Name, options.Mode, batch.Kernels.Info.Id, batch.Dim(0), options, unitResults, fixedLayers, orm,
            costs.SizeMiB(integer.Bits), costs.BitOpsG(integer.Bits), continuous.Objective, integer.Objective,
            continuousSizeBits / 8.0 / CostModel.BytesPerMiB, continuous.Method, integer.Method, integer.Nodes, integer.ProvenOptimal,
            new SearchTimings(features, ormTime, solve), importance.LogScale, Warnings(importance, units, options),
            PinnedSizeMiB(model, options, fixedLayers, integer.Bits));
    }

    /// <summary>The size of <paramref name="bits"/> with the units the model pins counted at their fixed width (the default accounting).</summary>
    internal static double PinnedSizeMiB(IQuantizableModel model, SearchOptions options, FixedLayers fixedLayers, int[] bits)
    {
        IReadOnlyList<QuantUnit> pinned = model.Units(options.Mode);
        var counted = bits.Select((b, i) => pinned[i].FixedBits ?? b).ToArray();
        return new CostModel(pinned, fixedLayers, options.ActivationBits).SizeMiB(counted);
    }

    private static List<string> Warnings(LayerImportance importance, IReadOnlyList<QuantUnit> units, SearchOptions options)
    {
        var warnings = new List<string>();
        double resolution = IntegerAllocation.Resolution(units.Count);
        double spread = options.Beta * (importance.Gamma.Max() - importance.Gamma.Min());
        int[] negligible = importance.NegligibleThetas(resolution);
        if (negligible.Length > 0)
        {
            var dominant = Enumerable.Range(0, units.Count).Except(negligible).Select(i => units[i].Name);
            warnings.Add(
                $"θ collapses: {negligible.Length} of {units.Count} units have θ below {resolution:G2} of the largest " +
                $"(β·(γ_max − γ_min) = {spread:G4}), so the coefficients depend only on the θ of {string.Join(", ", dominant)}; " +
                "a smaller --beta keeps every unit's data in the coefficients");
        }
        int[] unresolved = importance.UnresolvedUnits(resolution)
            .Where(i => units[i].FixedBits is null && options.Bits.Min < options.Bits.Max).ToArray();
        if (unresolved.Length > 0)
        {
            warnings.Add(
                $"{unresolved.Length} of {units.Count} units have coefficients below {resolution:G2} of the largest " +
                $"(β·(γ_max − γ_min) = {spread:G4}), so their widths follow the tie rule (more bits to earlier units), " +
                $"not θ: {string.Join(", ", unresolved.Select(i => units[i].Name))}; a smaller --beta spreads the coefficients");
        }
        return warnings;
    }
}
