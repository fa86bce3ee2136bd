using CommandLine;
using CommandLine.Text;
using Ompq.Host.Verbs;
using Ompq.Runtime;

namespace Ompq.Host;

/// <summary>
/// The `ompq` command line: parses a verb and runs it with the given writers, so tests can run it in-process.
/// Exit codes: 0 success, 2 bad input (one "error: …" line on stderr), 1 an internal failure.
/// </summary>
public static class Cli
{
    public const int Ok = 0;
    public const int InternalError = 1;
    public const int BadInput = 2;

    /// <summary>Every verb; a new verb is its options class (with [Verb] and <see cref="IVerb"/>) added here.</summary>
    public static readonly Type[] Verbs =
    [
        typeof(DevicesVerb),
        typeof(SearchVerb),
        typeof(TrainVerb),
        typeof(QatVerb),
        typeof(EvalVerb),
        typeof(BenchVerb),
        typeof(ExportVerb),
        typeof(InferVerb),
        typeof(ServeBenchVerb),
    ];

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool interactiveError = false)
    {
        // The parser writes nothing itself: help goes to stdout, and a usage error becomes the same single
        // "error: …" line every other bad input gets, instead of the whole help screen.
        using var parser = new Parser(settings =>
        {
            settings.HelpWriter = null;
            settings.CaseSensitive = true;
            settings.CaseInsensitiveEnumValues = true;
            settings.AutoVersion = false;
        });
        ParserResult<object> parsed = parser.ParseArguments(args, Verbs);
        if (parsed is not Parsed<object> { Value: IVerb verb })
        {
            if (parsed.Errors.All(e => e.Tag is ErrorType.HelpRequestedError or ErrorType.HelpVerbRequestedError))
            {
                // Without a verb the screen lists the verbs (verbsIndex), not just --help and --version.
                bool verbChosen = parsed.TypeInfo.Current.GetCustomAttributes(typeof(VerbAttribute), false).Length > 0;
                stdout.WriteLine(HelpText.AutoBuild(parsed, h => h, e => e, verbsIndex: !verbChosen));
                return Ok;
            }
            stderr.WriteLine($"error: {UsageError(parsed)}");
            return BadInput;
        }

        var context = new CliContext(stdout, stderr, interactiveError);
        try
        {
            return verb.Execute(context);
        }
        catch (InvalidInputException ex)
        {
            stderr.WriteLine($"error: {ex.Message}");
            if (verb.Verbose) stderr.WriteLine(ex);
            return BadInput;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            stderr.WriteLine($"error: internal failure ({ex.GetType().Name}): {ex.Message}");
            if (verb.Verbose) stderr.WriteLine(ex);
            else stderr.WriteLine("(run again with --verbose for the stack trace)");
            return InternalError;
        }
    }

    /// <summary>All parser errors in one line, with where to find the valid options.</summary>
    private static string UsageError(ParserResult<object> parsed)
    {
        var sentences = SentenceBuilder.Create();
        string problems = string.Join("; ", parsed.Errors.Select(e => sentences.FormatError(e).TrimEnd('.')));
        string? verb = parsed.TypeInfo.Current.GetCustomAttributes(typeof(VerbAttribute), false)
            .OfType<VerbAttribute>().FirstOrDefault()?.Name;
        return verb is null
            ? $"{problems}; expected one of the verbs {string.Join(", ", Verbs.Select(VerbName))} (see `ompq --help`)"
            : $"{problems} (see `ompq {verb} --help`)";
    }

    private static string VerbName(Type type)
        => type.GetCustomAttributes(typeof(VerbAttribute), false).OfType<VerbAttribute>().Single().Name;
}
