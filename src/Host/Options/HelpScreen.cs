using System.Reflection;
using System.Text;
using CommandLine;
using CommandLine.Text;

namespace Ompq.Host.Options;

/// <summary>
/// The help screens, written from the verbs' attributes: `ompq --help` lists every verb with its one line and first
/// [Usage] example; `ompq VERB --help` shows the examples, then every option with its allowed values and default.
/// </summary>
public static class HelpScreen
{
    /// <summary>Stands for the zoo's model names in a help text (the list itself lives in ModelZoo only).</summary>
    public const string ModelNames = "{models}";

    private const int Width = 100;
    private const int NameColumn = 26;
    private const char NoBreak = '\u00A0';

    public static string Index(IReadOnlyList<Type> verbs)
    {
        var text = new StringBuilder();
        text.AppendLine("ompq: OMPQ mixed-precision quantization on this engine's kernels.");
        text.AppendLine();
        text.AppendLine("Usage: ompq VERB [options]    (`ompq VERB --help` lists a verb's options, defaults and examples)");
        text.AppendLine();
        text.AppendLine("Verbs:");
        int width = verbs.Max(v => VerbOptions.Verb(v).Name.Length) + 2;
        foreach (var verb in verbs)
        {
            var attribute = VerbOptions.Verb(verb);
            Wrap(text, "  " + attribute.Name.PadRight(width), attribute.HelpText);
            if (Examples(verb).FirstOrDefault() is { } example)
                Wrap(text, new string(' ', width + 2), "e.g. " + CommandLine(attribute.Name, example.Sample));
        }
        return text.ToString();
    }

    public static string ForVerb(Type verb)
    {
        var attribute = VerbOptions.Verb(verb);
        var text = new StringBuilder();
        Wrap(text, "", $"ompq {attribute.Name}: {attribute.HelpText}");
        text.AppendLine();
        text.AppendLine($"Usage: ompq {attribute.Name} [options]");
        var examples = Examples(verb);
        if (examples.Count > 0)
        {
            text.AppendLine();
            text.AppendLine(examples.Count == 1 ? "Example:" : "Examples:");
            foreach (var example in examples)
            {
                Wrap(text, "  ", example.HelpText);
                Wrap(text, "    ", CommandLine(attribute.Name, example.Sample));
            }
        }
        text.AppendLine();
        text.AppendLine("Options:");
        object defaults = Activator.CreateInstance(verb)!;
        foreach (var option in VerbOptions.Of(verb))
        {
            string name = "  --" + option.Name + (option.IsSwitch ? "" : option.EnumType is { } e ? " " + string.Join("|", EnumSpelling.All(e)) : " VALUE");
            string help = option.Attribute.HelpText.Replace(ModelNames, string.Join(" | ", Runtime.Nn.ModelZoo.Names));
            // A no-break space keeps "(default: x)" on one line; Wrap prints it as a space.
            if (option.Attribute.Required) help += " (required)";
            else if (!option.IsSwitch && option.Property.GetValue(defaults) is { } value && value is not "")
                help += $" (default:{NoBreak}{option.Format(value)})";
            if (name.Length >= NameColumn - 1)
            {
                text.AppendLine(name);
                name = "";
            }
            Wrap(text, name.PadRight(NameColumn), help);
        }
        Wrap(text, "  --help".PadRight(NameColumn), "This screen.");
        return text.ToString();
    }

    /// <summary>The [Usage] examples of a verb (CommandLineParser's convention: a static property of Example).</summary>
    public static IReadOnlyList<Example> Examples(Type verb) => verb
        .GetProperties(BindingFlags.Public | BindingFlags.Static)
        .Where(p => p.GetCustomAttribute<UsageAttribute>() is not null)
        .SelectMany(p => (IEnumerable<Example>)p.GetValue(null)!)
        .ToArray();

    /// <summary>The command line of an example: the verb, then every option whose value differs from the verb's default.</summary>
    public static string CommandLine(string verbName, object sample)
    {
        object defaults = Activator.CreateInstance(sample.GetType())!;
        var words = new List<string> { "ompq", verbName };
        foreach (var option in VerbOptions.Of(sample.GetType()))
        {
            object? value = option.Property.GetValue(sample);
            if (value is null || (!option.Attribute.Required && Equals(value, option.Property.GetValue(defaults)))) continue;
            if (option.IsSwitch)
            {
                if ((bool)value) words.Add("--" + option.Name);
                continue;
            }
            words.Add("--" + option.Name);
            string formatted = option.Format(value);
            words.Add(formatted.Contains(' ') ? $"'{formatted}'" : formatted);
        }
        return string.Join(' ', words);
    }

    /// <summary>Appends <paramref name="body"/> wrapped at <see cref="Width"/>, the first line after <paramref name="lead"/>, the rest under it.</summary>
    private static void Wrap(StringBuilder text, string lead, string body)
    {
        var line = new StringBuilder(lead);
        bool empty = true;
        foreach (string word in body.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!empty && line.Length + 1 + word.Length > Width)
            {
                text.AppendLine(line.ToString().TrimEnd().Replace(NoBreak, ' '));
                line.Clear().Append(' ', lead.Length);
                empty = true;
            }
            if (!empty) line.Append(' ');
            line.Append(word);
            empty = false;
        }
        text.AppendLine(line.ToString().TrimEnd().Replace(NoBreak, ' '));
    }
}
