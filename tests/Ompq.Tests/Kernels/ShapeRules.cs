using Ompq.Kernels;

namespace Ompq.Tests.Kernels;

/// <summary>
/// Shapes torch accepts: the (dilated) window must fit in the padded input. The contract's P/Q use C#
/// division, which truncates a negative numerator towards zero and would report one output row where
/// torch (floor division) reports none, so random cases are filtered here.
/// </summary>
internal static class ShapeRules
{
    public static bool WindowFits(Conv2dShape s)
        => s.H + 2 * s.PadH >= s.DilationH * (s.R - 1) + 1 && s.W + 2 * s.PadW >= s.DilationW * (s.S - 1) + 1;

    public static bool WindowFits(Pool2dShape s) => s.H + 2 * s.PadH >= s.R && s.W + 2 * s.PadW >= s.S;
}
