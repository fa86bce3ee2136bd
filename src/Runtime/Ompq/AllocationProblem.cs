namespace Ompq.Runtime.Search;

/// <summary>
/// The bit-allocation problem in exact integer form: choose b_i ∈ [MinBits_i, MaxBits_i] (integers) to maximise
/// Σ c_i·b_i subject to Σ SizePerBit_i·b_i ≤ SizeCapacity and, when given, Σ OpsPerBit_i·b_i ≤ OpsCapacity.
/// Size is counted in bits (params per weight bit), BitOps in bit-operations (MACs·b_a per weight bit); the
/// fixed layers are already subtracted from the capacities.
/// With <see cref="WidthValues"/> the objective is instead Σ WidthValues[i][b_i − MinBits_i]: any value per unit
/// and width (the Hessian baseline's −Ω_i(b)), not necessarily linear in b; the coefficients are then unused.
/// </summary>
public sealed record AllocationProblem(
    double[] Coefficients,
    long[] SizePerBit,
    long[] OpsPerBit,
    int[] MinBits,
    int[] MaxBits,
    long SizeCapacity,
    long? OpsCapacity,
    double[][]? WidthValues = null)
{
    public int Count => Coefficients.Length;

    /// <summary>
    /// The same budgets with a per-(unit, width) objective to maximise: <paramref name="values"/>[i][t] is the value
    /// of unit i at width MinBits_i + t.
    /// </summary>
    public AllocationProblem WithWidthValues(double[][] values)
    {
        if (values.Length != Count) throw new ArgumentException($"{values.Length} value rows for {Count} units");
        for (int i = 0; i < Count; i++)
        {
            int widths = MaxBits[i] - MinBits[i] + 1;
            if (values[i].Length != widths)
                throw new ArgumentException($"unit {i}: {values[i].Length} values for {widths} widths {MinBits[i]}..{MaxBits[i]}");
            foreach (double v in values[i])
                if (!double.IsFinite(v)) throw new ArgumentException($"unit {i}: value {v} is not finite");
        }
        return this with { WidthValues = values.Select(row => (double[])row.Clone()).ToArray() };
    }

    /// <summary>The objective of <paramref name="bits"/>: Σ c_i·b_i/8 (the spec's x_i = b_i/8), or Σ of the width values.</summary>
    public double Objective(IReadOnlyList<int> bits)
    {
        double objective = 0;
        for (int i = 0; i < Count; i++)
            objective += WidthValues is { } values ? values[i][bits[i] - MinBits[i]] : Coefficients[i] * bits[i] / 8.0;
        return objective;
    }

    /// <summary>Whether <paramref name="bits"/> lies in every unit's range and within both budgets (exact integers).</summary>
    public bool IsFeasible(IReadOnlyList<int> bits)
    {
        long size = 0, ops = 0;
        for (int i = 0; i < Count; i++)
        {
            if (bits[i] < MinBits[i] || bits[i] > MaxBits[i]) return false;
            size = checked(size + SizePerBit[i] * bits[i]);
            ops = checked(ops + OpsPerBit[i] * bits[i]);
        }
        return size <= SizeCapacity && (OpsCapacity is not { } cap || ops <= cap);
    }

    public static AllocationProblem Build(CostModel costs, double[] coefficients, BitRange range, double sizeBudgetMiB, double? bitOpsBudgetG)
    {
        range.Validate();
        if (!double.IsFinite(sizeBudgetMiB) || sizeBudgetMiB <= 0)
            throw new InvalidInputException($"size budget {sizeBudgetMiB} MiB is invalid: expected a positive number of MiB");
        if (bitOpsBudgetG is { } g && (!double.IsFinite(g) || g <= 0))
            throw new InvalidInputException($"BitOps budget {g} G is invalid: expected a positive number of G");

        int l = costs.Units.Count;
        if (coefficients.Length != l)
            throw new ArgumentException($"{coefficients.Length} coefficients for {l} units");
        var min = new int[l];
        var max = new int[l];
        var size = new long[l];
        var ops = new long[l];
        for (int i = 0; i < l; i++)
        {
            int? pinned = costs.Units[i].FixedBits;
            min[i] = pinned ?? range.Min;
            max[i] = pinned ?? range.Max;
            size[i] = costs.Units[i].Params;
            ops[i] = costs.BitOpsPerWeightBit(i);
        }

        var problem = new AllocationProblem(coefficients, size, ops, min, max,
            CostModel.MiBToBits(sizeBudgetMiB) - costs.FixedSizeBits,
            bitOpsBudgetG is { } budgetG ? CostModel.GToBitOps(budgetG) - costs.FixedBitOps : null);
        problem.RequireFeasible(costs, sizeBudgetMiB, bitOpsBudgetG);
        return problem;
    }

    public long MinimumSize()
    {
        long total = 0;
        for (int i = 0; i < Count; i++) total = checked(total + SizePerBit[i] * MinBits[i]);
        return total;
    }

    public long MinimumOps()
    {
        long total = 0;
        for (int i = 0; i < Count; i++) total = checked(total + OpsPerBit[i] * MinBits[i]);
        return total;
    }

    private void RequireFeasible(CostModel costs, double sizeBudgetMiB, double? bitOpsBudgetG)
    {
        long minSize = MinimumSize();
        if (minSize > SizeCapacity)
        {
            double minMiB = CostModel.BitsToMiB(minSize + costs.FixedSizeBits);
            throw new InvalidInputException(
                $"size budget {sizeBudgetMiB:0.######} MiB is infeasible: the minimum achievable size is {minMiB:0.######} MiB " +
                $"(every searched unit at its lowest width, fixed layers at 8 bits)");
        }
        if (OpsCapacity is { } opsCap && MinimumOps() > opsCap)
        {
            double minG = (MinimumOps() + costs.FixedBitOps) / CostModel.OpsPerG;
            throw new InvalidInputException(
                $"BitOps budget {bitOpsBudgetG:0.######} G is infeasible: the minimum achievable BitOps is {minG:0.######} G " +
                $"(every searched unit at its lowest width, activations at {costs.ActivationBits} bits, fixed layers at 8×8)");
        }
    }
}
