using CommandLine;
using CommandLine.Text;
using Ompq.Host.Options;
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

    /// <summary>Every verb of the `ompq` tool; a new verb is its options class (with [Verb] and <see cref="IVerb"/>) added here.</summary>
    public static readonly Type[] Verbs =
    [
        typeof(DevicesVerb),
        typeof(SearchVerb),
        typeof(TrainVerb),
        typeof(QatVerb),
        typeof(PtqVerb),
        typeof(EvalVerb),
        typeof(ExportVerb),
        typeof(InferVerb),
        typeof(ServeBenchVerb),
        typeof(ReproduceVerb),
        typeof(DemoVerb),
    ];

    /// <summary>The benchmark verb lives in the build that carries libtorch (bench/Ompq.BenchCli), not in the tool.</summary>
    public const string BenchVerbName = "bench";
    public const string BenchBuildCommand = "dotnet run -c Release --project bench/Ompq.BenchCli --";

    /// <param name="verbs">The verbs this build has (default <see cref="Verbs"/>; the benchmark build adds `bench`).</param>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool interactiveError = false, IReadOnlyList<Type>? verbs = null)
    {
        verbs ??= Verbs;
        if (args.Length > 0 && args[0] == BenchVerbName && !verbs.Any(v => VerbOptions.Verb(v).Name == BenchVerbName))
        {
            stderr.WriteLine($"error: `ompq bench` times kernels beside libtorch, which this build leaves out; expected the benchmark build: {BenchBuildCommand} bench {string.Join(' ', args.Skip(1))}".TrimEnd());
            return BadInput;
        }
        string[] parsedArgs;
        try
        {
            parsedArgs = VerbOptions.WithEnumMemberNames(args, verbs);
        }
        catch (InvalidInputException ex)
        {
            stderr.WriteLine($"error: {ex.Message}");
            return BadInput;
        }

        // The parser writes nothing itself: help goes to stdout, and a usage error becomes the same single
        // "error: …" line every other bad input gets, instead of the whole help screen.
        using var parser = new Parser(settings =>
        {
            settings.HelpWriter = null;
            settings.CaseSensitive = true;
            settings.CaseInsensitiveEnumValues = true;
            settings.AutoVersion = false;
        });
        ParserResult<object> parsed = parser.ParseArguments(parsedArgs, verbs.ToArray());
        if (parsed is not Parsed<object> { Value: IVerb verb })
        {
            if (parsed.Errors.All(e => e.Tag is ErrorType.HelpRequestedError or ErrorType.HelpVerbRequestedError))
            {
                stdout.Write(HelpFor(parsed, verbs));
                return Ok;
            }
            stderr.WriteLine($"error: {UsageError(parsed, verbs)}");
            return BadInput;
        }

        var context = new CliContext(stdout, stderr, interactiveError);
        try
        {
            return verb.Execute(context);
        }
        catch (InvalidInputException ex)
        {
            // A passed resource limit says how to raise it (the library names the limit, the option is the CLI's; search has it).
            string raise = ex.ResourceLimit is { } limit && verb is SearchVerb ? $"; raise it with --limits {limit}=N" : "";
            stderr.WriteLine($"error: {ex.Message}{raise}");
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

    /// <summary>A verb's screen for `ompq VERB --help` and `ompq help VERB`; the index of verbs otherwise.</summary>
    private static string HelpFor(ParserResult<object> parsed, IReadOnlyList<Type> verbs)
    {
        Type? verb = parsed.Errors.OfType<HelpVerbRequestedError>().FirstOrDefault(e => e.Matched)?.Type
            ?? (IsVerb(parsed.TypeInfo.Current) ? parsed.TypeInfo.Current : null);
        if (verb is not null) return HelpScreen.ForVerb(verb);
        string index = HelpScreen.Index(verbs);
        return verbs.Any(v => VerbOptions.Verb(v).Name == BenchVerbName)
            ? index
            : index + $"{Environment.NewLine}`{BenchVerbName}` (every kernel beside libtorch) is in the benchmark build: {BenchBuildCommand} {BenchVerbName} --help{Environment.NewLine}";
    }

    /// <summary>All parser errors in one line, with where to find the valid options.</summary>
    private static string UsageError(ParserResult<object> parsed, IReadOnlyList<Type> verbs)
    {
        var sentences = SentenceBuilder.Create();
        // A required option with an unreadable value is also reported missing; the bad value is the one to name.
        var badValues = parsed.Errors.OfType<BadFormatConversionError>().Select(e => e.NameInfo.LongName).ToHashSet();
        var errors = parsed.Errors.Where(e => !(e is MissingRequiredOptionError missing && badValues.Contains(missing.NameInfo.LongName)));
        string problems = string.Join("; ", errors.Select(e => sentences.FormatError(e).TrimEnd('.') + Expected(e, parsed.TypeInfo.Current)));
        return IsVerb(parsed.TypeInfo.Current)
            ? $"{problems} (see `ompq {VerbOptions.Verb(parsed.TypeInfo.Current).Name} --help`)"
            : $"{problems}; expected one of the verbs {string.Join(", ", verbs.Select(v => VerbOptions.Verb(v).Name))} (see `ompq --help`)";
    }

    /// <summary>What the parser wanted instead, appended to its own sentence (which names only the problem).</summary>
    private static string Expected(Error error, Type verb)
    {
        string verbName = IsVerb(verb) ? VerbOptions.Verb(verb).Name : "";
        switch (error)
        {
            case UnknownOptionError when verbName != "":
                return $": expected one of the options of `ompq {verbName} --help`";
            case RepeatedOptionError:
                return ": expected it once";
            case MissingRequiredOptionError { NameInfo.LongName: { Length: > 0 } required }:
                return $": expected --{required} VALUE";
            case MissingValueOptionError:
                return ": expected a value after it";
            case BadFormatConversionError { NameInfo.LongName: { } name } when verbName != "":
                var option = VerbOptions.Of(verb).FirstOrDefault(o => o.Name == name);
                Type? type = option is null ? null : Nullable.GetUnderlyingType(option.Property.PropertyType) ?? option.Property.PropertyType;
                return type == typeof(int) || type == typeof(long) ? ": expected a whole number"
                    : type == typeof(double) || type == typeof(float) ? ": expected a number"
                    : "";
            default:
                return "";
        }
    }

    private static bool IsVerb(Type type) => type.GetCustomAttributes(typeof(VerbAttribute), false).Length > 0;
}
