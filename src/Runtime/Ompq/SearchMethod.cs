namespace Ompq.Runtime.Search;

/// <summary>
/// How the widths are chosen (the CLI and the report spell the members in lower case: ompq, hawq, uniform, random). OMPQ is the method; the others are the baselines it is compared with (spec §10), all
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
