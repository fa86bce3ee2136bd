using System.Reflection;
using CommandLine;

namespace Ompq.Host.Options;

/// <summary>A verb's options as its attributes declare them: the one description help, examples and enum spellings read.</summary>
public sealed record VerbOption(PropertyInfo Property, OptionAttribute Attribute)
{
    public string Name => Attribute.LongName;

    /// <summary>The enum behind the option (also through Nullable), or null.</summary>
    public Type? EnumType => Nullable.GetUnderlyingType(Property.PropertyType) is { IsEnum: true } inner ? inner
        : Property.PropertyType.IsEnum ? Property.PropertyType : null;

    public bool IsSwitch => Property.PropertyType == typeof(bool);

    /// <summary>The value written the way the command line takes it (enum spellings, invariant numbers).</summary>
    public string Format(object value) => value switch
    {
        Enum e => EnumSpelling.Of(e),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}

public static class VerbOptions
{
    public static VerbAttribute Verb(Type verbType)
        => verbType.GetCustomAttribute<VerbAttribute>() ?? throw new ArgumentException($"{verbType.Name} has no [Verb] attribute");

    public static IReadOnlyList<VerbOption> Of(Type verbType) => verbType
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Select(p => (Property: p, Attribute: p.GetCustomAttribute<OptionAttribute>()))
        .Where(p => p.Attribute is not null)
        .Select(p => new VerbOption(p.Property, p.Attribute!))
        .ToArray();

    /// <summary>
    /// The arguments with each enum option's value turned from its spelling into the member name CommandLineParser
    /// converts ("suffix-mean" → "SuffixMean"). A value that is no spelling is bad input, named with the allowed ones;
    /// so are numbers, which Enum.Parse would otherwise accept as members.
    /// </summary>
    public static string[] WithEnumMemberNames(string[] args, IReadOnlyList<Type> verbs)
    {
        if (args.Length == 0) return args;
        var verb = verbs.FirstOrDefault(v => Verb(v).Name == args[0]);
        if (verb is null) return args;
        var enums = Of(verb).Where(o => o.EnumType is not null).ToDictionary(o => "--" + o.Name, StringComparer.Ordinal);
        var result = (string[])args.Clone();
        for (int i = 1; i < result.Length; i++)
        {
            string arg = result[i];
            if (arg == "--") break;
            int equals = arg.IndexOf('=');
            string name = equals > 0 ? arg[..equals] : arg;
            if (!enums.TryGetValue(name, out var option)) continue;
            int valueAt = equals > 0 ? i : i + 1;
            if (valueAt >= result.Length) break; // CommandLineParser reports the missing value
            string value = equals > 0 ? arg[(equals + 1)..] : result[valueAt];
            string member = EnumSpelling.MemberName(option.EnumType!, value)
                ?? throw new Runtime.InvalidInputException($"--{option.Name} '{value}' is unknown: expected {EnumSpelling.Choices(option.EnumType!)}");
            result[valueAt] = equals > 0 ? $"{name}={member}" : member;
            i = valueAt;
        }
        return result;
    }
}
