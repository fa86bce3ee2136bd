using System.Text;

namespace Ompq.Host.Options;

/// <summary>
/// How an enum member is written on the command line and in reports: its name in lower case with a hyphen before each
/// inner word (SuffixMean → suffix-mean, CntkBgr → cntk-bgr, Qat → qat; a trailing capital is no word: AdamW → adamw).
/// The member names are the one source of the spellings; CommandLineParser's enum support converts them, this only
/// bridges the hyphen it does not accept.
/// </summary>
public static class EnumSpelling
{
    public static string Of(Enum value) => Spell(value.ToString());

    public static string Of<T>(T value) where T : struct, Enum => Spell(value.ToString());

    /// <summary>Every spelling of <paramref name="enumType"/>, in declaration order.</summary>
    public static IReadOnlyList<string> All(Type enumType) => Enum.GetNames(enumType).Select(Spell).ToArray();

    /// <summary>"a, b or c": the allowed spellings as an error message lists them.</summary>
    public static string Choices(Type enumType)
    {
        var all = All(enumType);
        return all.Count == 1 ? all[0] : $"{string.Join(", ", all.Take(all.Count - 1))} or {all[^1]}";
    }

    /// <summary>The member name for a spelling (case-insensitive), or null when the spelling is none of them.</summary>
    public static string? MemberName(Type enumType, string spelling)
        => Enum.GetNames(enumType).FirstOrDefault(name => string.Equals(Spell(name), spelling.Trim(), StringComparison.OrdinalIgnoreCase));

    private static string Spell(string memberName)
    {
        var text = new StringBuilder(memberName.Length + 4);
        for (int i = 0; i < memberName.Length; i++)
        {
            char c = memberName[i];
            if (i > 0 && char.IsUpper(c) && i + 1 < memberName.Length && char.IsLower(memberName[i + 1])) text.Append('-');
            text.Append(char.ToLowerInvariant(c));
        }
        return text.ToString();
    }
}
