using Ompq.Host;

namespace Ompq.Tests.Cli;

/// <summary>Runs the `ompq` entry point in-process with captured stdout and stderr.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Error);

    public static Result Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Ompq.Host.Cli.Run(args, stdout, stderr);
        return new Result(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The checkout's root (where OmpqKernels.sln is), for committed files such as models/.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "OmpqKernels.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no OmpqKernels.sln above {AppContext.BaseDirectory}");
    }

    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "ompq-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}

/// <summary>Runs the benchmark build's entry point (`ompq` plus `bench`) in-process.</summary>
internal static class BenchCliRunner
{
    public static CliRunner.Result Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Ompq.Host.Cli.Run(args, stdout, stderr, verbs: Ompq.BenchCli.Program.Verbs);
        return new CliRunner.Result(code, stdout.ToString(), stderr.ToString());
    }
}
