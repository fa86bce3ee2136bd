using System.Globalization;
using Ompq.Runtime;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Search;

namespace Ompq.Host.Reproduction;

/// <summary>
/// Which cells `ompq reproduce` runs and the commands each runs. The budgets are average weight widths of the
/// searched layers, turned into MiB with the search's own size accounting, so every method gets the same size.
/// PTQ searches 2..4 bits around an average of 3; QAT 2..6 around 4 (4..8 would make an average of 4 all-4-bit).
/// </summary>
public sealed class ReproductionPlan
{
    public static readonly string[] AllMethods = ["ompq", "hawq", "uniform", "random"];

    public required string Weights { get; init; }
    public required string Model { get; init; }
    public required string Data { get; init; }
    public required string OutDir { get; init; }
    public required IReadOnlyList<string> Methods { get; init; }
    public required IReadOnlyList<Regime> Regimes { get; init; }
    public required int Seeds { get; init; }
    public required IReadOnlyDictionary<Regime, double[]> Budgets { get; init; }
    /// <summary>The budget of the table (mean ± std over seeds); the others only feed the plot, with the first seed.</summary>
    public required IReadOnlyDictionary<Regime, double> TableBudget { get; init; }
    public required int QatImages { get; init; }
    public required int QatEpochs { get; init; }
    public required int SearchImages { get; init; }
    public required int PtqIterations { get; init; }
    public required float QatLr { get; init; }
    public required int Calibration { get; init; }
    public string? DataDir { get; init; }
    public required double FloatSizeMiB { get; init; }

    public static string BitRange(Regime regime) => regime == Regime.Ptq ? "2..4" : "2..6";

    /// <summary>
    /// Every cell: all seeds at the table budget, the first seed at the other budgets. The table's cells come first,
    /// seed by seed across the methods, so an interrupted run leaves every method with results.
    /// </summary>
    public IEnumerable<ReproductionCell> Cells()
    {
        foreach (var regime in Regimes)
            for (int seed = 0; seed < Seeds; seed++)
                foreach (string method in Methods)
                    yield return new ReproductionCell(regime, method, TableBudget[regime], seed);
        foreach (var regime in Regimes)
            foreach (double budget in Budgets[regime].Where(b => b != TableBudget[regime]))
                foreach (string method in Methods)
                    yield return new ReproductionCell(regime, method, budget, 0);
    }

    /// <summary>The size in MiB at which the searched layers average <paramref name="averageBits"/> (pinned layers at 8).</summary>
    public static double BudgetMiB(IQuantizableModel model, Regime regime, double averageBits)
    {
        var mode = regime == Regime.Ptq ? SearchMode.Ptq : SearchMode.Qat;
        var costs = new CostModel(model.Units(mode), model.Fixed(mode), activationBits: 8);
        int low = (int)Math.Floor(averageBits), high = (int)Math.Ceiling(averageBits);
        double At(int b) => costs.SizeMiB(costs.Units.Select(u => u.FixedBits ?? b).ToArray());
        double size = At(low) + (averageBits - low) * (At(high) - At(low));
        // A hair above, so that a uniform allocation exactly at the average is not lost to rounding.
        return size * (1 + 1e-9);
    }

    public string CellDir(ReproductionCell cell) => Path.Combine(OutDir, cell.Key);

    public string[] SearchCommand(ReproductionCell cell, double budgetMiB, string report)
    {
        var args = new List<string>
        {
            "search", "--model", Model, "--weights", Weights, "--data", Data, "--images", SearchImages.ToString(CultureInfo.InvariantCulture),
            "--mode", cell.Regime.ToString().ToLowerInvariant(), "--bits", BitRange(cell.Regime),
            "--size-mb", budgetMiB.ToString("R", CultureInfo.InvariantCulture), "--method", cell.Method,
            "--seed", cell.Seed.ToString(CultureInfo.InvariantCulture), "--out", report, "--json",
        };
        AddDataDir(args);
        return args.ToArray();
    }

    public string[] RecoveryCommand(ReproductionCell cell, string report, string checkpoint)
    {
        var args = cell.Regime == Regime.Ptq
            ? new List<string> { "ptq", "--weights", Weights, "--bits-from", report, "--seed", cell.Seed.ToString(CultureInfo.InvariantCulture),
                "--iterations", PtqIterations.ToString(CultureInfo.InvariantCulture), "--calibration", Calibration.ToString(CultureInfo.InvariantCulture),
                "--no-test", "--out", checkpoint, "--json" }
            : new List<string> { "qat", "--weights", Weights, "--bits-from", report, "--seed", cell.Seed.ToString(CultureInfo.InvariantCulture),
                "--epochs", QatEpochs.ToString(CultureInfo.InvariantCulture), "--limit", QatImages.ToString(CultureInfo.InvariantCulture),
                "--lr", QatLr.ToString("R", CultureInfo.InvariantCulture), "--no-test", "--out", checkpoint, "--json" };
        args.Insert(1, "--data");
        args.Insert(2, Data);
        AddDataDir(args);
        return args.ToArray();
    }

    public string[] EvalCommand(string checkpoint)
    {
        var args = new List<string> { "eval", "--weights", checkpoint, "--data", Data, "--json" };
        AddDataDir(args);
        return args.ToArray();
    }

    private void AddDataDir(List<string> args)
    {
        if (DataDir is null) return;
        args.Add("--data-dir");
        args.Add(DataDir);
    }

    /// <summary>A command as a user would type it.</summary>
    public static string Format(string[] args) => "ompq " + string.Join(' ', args.Select(a => a.Contains(' ') ? $"\"{a}\"" : a));

    /// <summary>Parses "2.5,3,3.5" into budgets; the table budget must be one of them.</summary>
    public static double[] ParseBudgets(string text, string option)
    {
        var values = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !(v >= 2) || v > 8)
                throw new InvalidInputException($"{option} '{text}': every budget must be an average width in 2..8, like 2.5,3,3.5");
            values.Add(v);
        }
        if (values.Count == 0) throw new InvalidInputException($"{option} is empty: expected average widths like 2.5,3,3.5");
        return values.Distinct().Order().ToArray();
    }
}
