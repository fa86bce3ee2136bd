using System.Globalization;

namespace Ompq.Benchmarking;

/// <summary>
/// How a case compares our outputs with libtorch's before anything is timed. Each output (one array per output
/// tensor or buffer) is judged on its own scale, so a small gradient is not hidden beside a large one.
/// </summary>
public abstract record OutputCheck
{
    /// <summary>
    /// fp32 results whose summation order differs (GEMM, conv, reductions): pass when max|ours − libtorch| ≤
    /// <paramref name="tolerance"/>·max|libtorch| in every output. 1e-4 covers sums of up to ~5000 products.
    /// </summary>
    public static OutputCheck RelativeToMax(double tolerance) => new Relative(tolerance);

    /// <summary>
    /// Fake-quantized outputs: a value on a rounding tie may land one quantization step apart on the two sides (the
    /// scale or the division rounds differently), so elements one step apart are counted and allowed up to
    /// <paramref name="maxFlippedFraction"/> of the output; anything further than one step is a mismatch.
    /// </summary>
    /// <param name="step">The largest quantization step of an output, from libtorch's output.</param>
    public static OutputCheck QuantSteps(Func<float[], double> step, double maxFlippedFraction = 1e-3)
        => new Quant(step, maxFlippedFraction);

    /// <summary>Not compared, for the stated reason (shown as "—" in the table).</summary>
    public static OutputCheck None(string reason) => new NotCompared(reason);

    public bool IsCompared => this is not NotCompared;

    public abstract string Describe();

    internal sealed record Relative(double Tolerance) : OutputCheck
    {
        public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"max |ours − libtorch| ≤ {Tolerance:G2}·max |libtorch|");
    }

    internal sealed record Quant(Func<float[], double> Step, double MaxFlippedFraction) : OutputCheck
    {
        public override string Describe() => string.Create(CultureInfo.InvariantCulture,
            $"within one quantization step, at most {MaxFlippedFraction:G2} of the elements one step apart");
    }

    internal sealed record NotCompared(string Reason) : OutputCheck
    {
        public override string Describe() => "not compared: " + Reason;
    }
}

/// <summary>The outcome of comparing one case's outputs: the errors found and whether they are within the check's tolerance.</summary>
/// <param name="MaxAbsError">Largest |ours − libtorch| over every output (NaN where an output is NaN; null when not compared).</param>
/// <param name="MaxRelError">Largest of max|ours − libtorch| / max|libtorch| over the outputs.</param>
/// <param name="QuantFlips">Elements one quantization step apart (fake-quant checks only).</param>
/// <param name="Problem">Why it failed, in a few words; null when it passed.</param>
public sealed record OutputComparison(bool Compared, bool Passed, double? MaxAbsError, double? MaxRelError, long? QuantFlips, string? Problem)
{
    public static OutputComparison NotCompared { get; } = new(false, true, null, null, null, null);
}

/// <summary>Compares our outputs with libtorch's under an <see cref="OutputCheck"/>.</summary>
public static class OutputComparer
{
    public static OutputComparison Compare(OutputCheck check, IReadOnlyList<float[]> ours, IReadOnlyList<float[]> libtorch)
    {
        if (!check.IsCompared) return OutputComparison.NotCompared;
        if (ours.Count != libtorch.Count)
            return Failed($"ours gave {ours.Count} outputs, libtorch {libtorch.Count}");
        double maxAbs = 0, maxRel = 0;
        long flips = 0;
        var problems = new List<string>();
        for (int part = 0; part < ours.Count; part++)
        {
            float[] a = ours[part], b = libtorch[part];
            string name = ours.Count == 1 ? "output" : $"output {part}";
            if (a.Length != b.Length)
            {
                problems.Add($"{name} has {a.Length} values, libtorch's {b.Length}");
                continue;
            }
            double refMax = 0, err = 0;
            bool oursNaN = false, refNaN = false;
            for (long i = 0; i < b.LongLength; i++)
            {
                if (!float.IsFinite(b[i])) refNaN = true;
                if (!float.IsFinite(a[i])) oursNaN = true;
                refMax = Math.Max(refMax, Math.Abs(b[i]));
                err = Math.Max(err, Math.Abs((double)a[i] - b[i]));
            }
            if (refNaN) { problems.Add($"libtorch's {name} is not finite"); maxAbs = double.NaN; continue; }
            if (oursNaN) { problems.Add($"our {name} is not finite (NaN or infinity)"); maxAbs = double.NaN; maxRel = double.NaN; continue; }
            double rel = refMax > 0 ? err / refMax : err > 0 ? double.PositiveInfinity : 0;
            maxAbs = Math.Max(maxAbs, err);
            maxRel = Math.Max(maxRel, rel);
            switch (check)
            {
                case OutputCheck.Relative r when !(rel <= r.Tolerance):
                    problems.Add(Invariant($"{name}: max |ours − libtorch| = {err:G3} is {rel:G3} of max |libtorch| {refMax:G3}, tolerance {r.Tolerance:G2}"));
                    break;
                case OutputCheck.Quant q:
                {
                    double step = q.Step(b);
                    // A flip moves a value by one step; rounding-level differences are orders of magnitude smaller.
                    double flipAt = 0.5 * step, beyond = step * (1 + 1e-3) + 1e-6 * refMax;
                    long partFlips = 0, partBeyond = 0;
                    for (long i = 0; i < b.LongLength; i++)
                    {
                        double d = Math.Abs((double)a[i] - b[i]);
                        if (d > beyond) partBeyond++;
                        else if (d > flipAt) partFlips++;
                    }
                    flips += partFlips;
                    if (partBeyond > 0)
                        problems.Add(Invariant($"{name}: {partBeyond} values more than one quantization step ({step:G3}) apart, max |ours − libtorch| = {err:G3}"));
                    else if (partFlips > q.MaxFlippedFraction * b.LongLength)
                        problems.Add(Invariant($"{name}: {partFlips} of {b.LongLength} values one quantization step ({step:G3}) apart, more than the {q.MaxFlippedFraction:G2} allowed for rounding ties"));
                    break;
                }
            }
        }
        bool quant = check is OutputCheck.Quant;
        return new OutputComparison(true, problems.Count == 0, maxAbs, maxRel, quant ? flips : null,
            problems.Count == 0 ? null : string.Join("; ", problems));
    }

    private static OutputComparison Failed(string problem) => new(true, false, null, null, null, problem);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
