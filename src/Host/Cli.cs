using CommandLine;
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
        typeof(BenchVerb),
    ];

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool interactiveError = false)
    {
        using var parser = new Parser(settings =>
        {
            settings.HelpWriter = stderr;
            settings.CaseSensitive = true;
            settings.CaseInsensitiveEnumValues = true;
            settings.AutoVersion = false;
        });
        ParserResult<object> parsed = parser.ParseArguments(args, Verbs);
        if (parsed is not Parsed<object> { Value: IVerb verb })
        {
            bool helpOnly = parsed.Errors.All(e => e.Tag is ErrorType.HelpRequestedError or ErrorType.HelpVerbRequestedError);
            return helpOnly ? Ok : BadInput;
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
}
