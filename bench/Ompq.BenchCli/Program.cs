using Ompq.Host;

namespace Ompq.BenchCli;

/// <summary>`ompq-bench`: every verb of `ompq` plus `bench`, so `ompq-bench bench --quick` is the `ompq bench` of the benchmark build.</summary>
public static class Program
{
    /// <summary>The verbs of this build: the tool's own and the benchmark verb.</summary>
    public static readonly Type[] Verbs = [.. Cli.Verbs, typeof(BenchVerb)];

    public static int Main(string[] args)
        => Cli.Run(args, Console.Out, Console.Error, interactiveError: !Console.IsErrorRedirected, Verbs);
}
