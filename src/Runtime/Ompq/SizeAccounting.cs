using Ompq.Runtime.Nn;

namespace Ompq.Runtime.Search;

/// <summary>How the units that the method pins (PTQ's stem and classifier) are searched and counted.</summary>
public enum SizeAccounting
{
    /// <summary>Pinned units stay at their fixed width (8 bits) and are counted there (the spec's "first/last layers at 8 bits"). Default.</summary>
    Pinned,
    /// <summary>
    /// The reference code's PTQ accounting: every unit, stem and classifier included, is searched in the bit range and
    /// counted at its chosen width, so the paper's PTQ budgets (ResNet-18 4.0/4.5/5.5 MiB, MobileNetV2 1.3/1.5 MiB)
    /// mean what they meant there.
    /// </summary>
    Reference,
}

public static class SizeAccountingRules
{
    /// <summary>The model's units for <paramref name="mode"/> under <paramref name="accounting"/> (same order, same costs).</summary>
    public static IReadOnlyList<QuantUnit> Units(IQuantizableModel model, SearchMode mode, SizeAccounting accounting)
    {
        IReadOnlyList<QuantUnit> units = model.Units(mode);
        return accounting == SizeAccounting.Reference ? units.Select(u => u with { FixedBits = null }).ToArray() : units;
    }
}
