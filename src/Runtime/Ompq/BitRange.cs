namespace Ompq.Runtime.Search;

/// <summary>The weight bit-widths a searched unit may take: every integer in [Min, Max], both within 2..8.</summary>
public readonly record struct BitRange(int Min, int Max)
{
    public const int Lowest = 2;
    public const int Highest = 8;

    /// <summary>Spec §5 defaults: QAT 4–8 bits, PTQ 2–4 bits.</summary>
    public static BitRange Default(Nn.SearchMode mode) => mode == Nn.SearchMode.Qat ? new(4, 8) : new(2, 4);

    public void Validate()
    {
        if (Min < Lowest || Max > Highest || Min > Max)
            throw new InvalidInputException($"bit range {Min}..{Max} is invalid: expected MIN..MAX with {Lowest} <= MIN <= MAX <= {Highest}");
    }

    /// <summary>Parses "MIN..MAX" (or a single width "B" meaning B..B).</summary>
    public static BitRange Parse(string text)
    {
        string[] parts = text.Split("..", StringSplitOptions.TrimEntries);
        if (parts.Length is 1 or 2
            && int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int min)
            && int.TryParse(parts[^1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int max))
        {
            var range = new BitRange(min, max);
            range.Validate();
            return range;
        }
        throw new InvalidInputException($"bit range '{text}' is invalid: expected MIN..MAX with {Lowest} <= MIN <= MAX <= {Highest}, e.g. 4..8");
    }

    public override string ToString() => $"{Min}..{Max}";
}
