namespace Ompq.Runtime.Search;

/// <summary>
/// How the widths are chosen. OMPQ is the method; the others are the baselines it is compared with (spec §10), all
/// under the same size/BitOps accounting and budgets.
/// </summary>
public enum SearchMethod
{
    /// <summary>Orthogonality of one batch's features → importance → exact allocation (spec §2–6).</summary>
    Ompq,
    /// <summary>HAWQ-V3: Hessian trace per unit (Hutchinson) × quantization perturbation, minimised by the exact allocator.</summary>
    Hawq,
    /// <summary>Every searched unit at one width: the largest that fits the budgets.</summary>
    Uniform,
    /// <summary>Seeded random allocations filled up to the budgets; the one of largest size.</summary>
    Random,
}

public static class SearchMethods
{
    public static IReadOnlyList<string> Names { get; } = ["ompq", "hawq", "uniform", "random"];

    public static string Name(SearchMethod method) => Names[(int)method];

    public static SearchMethod Parse(string text)
    {
        int index = Names.ToList().IndexOf(text.Trim().ToLowerInvariant());
        return index >= 0
            ? (SearchMethod)index
            : throw new InvalidInputException($"--method '{text}' is unknown: expected {string.Join(", ", Names)}");
    }
}
