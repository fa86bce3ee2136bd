namespace Ompq.Host.Verbs;

/// <summary>A parsed verb: its options object runs itself.</summary>
public interface IVerb
{
    bool Verbose { get; }
    int Execute(CliContext context);
}

/// <summary>Where a verb writes: machine/human output on Out, diagnostics and progress on Error.</summary>
public sealed record CliContext(TextWriter Out, TextWriter Error, bool InteractiveError);
