namespace Ompq.Tests.Cli;

/// <summary>
/// Bad input to every verb, end to end through the command line: exit code 2, exactly one "error: …" line naming the
/// problem and what was expected, nothing on stdout, no stack trace (no --verbose), and no output file left behind.
/// </summary>
public sealed class BadInputByVerbTests
{
    private static readonly string Baseline = Path.Combine(CliRunner.RepositoryRoot(), "models", "resnet20-fashion-mnist.safetensors");

    /// <summary>Where a case may write; it must still not exist afterwards.</summary>
    private static readonly string Scratch = CliRunner.TempDir();

    private static string OutputPath(string name) => Path.Combine(Scratch, name);

    private static string ExistingFile(string name, byte[]? bytes = null)
    {
        string path = Path.Combine(CliRunner.TempDir(), name);
        File.WriteAllBytes(path, bytes ?? [1, 2, 3, 4]);
        return path;
    }

    private static string[] Search(params string[] extra) =>
        With(["search", "--model", "resnet20", "--data", "synthetic", "--images", "8", "--size-mb", "0.15", "--out", OutputPath("search.json")], extra);

    private static string[] Train(params string[] extra) =>
        With(["train", "--data", "fashion-mnist", "--epochs", "1", "--limit", "64", "--out", OutputPath("train.safetensors")], extra);

    private static string[] Eval(params string[] extra) => With(["eval", "--weights", Baseline], extra);

    private static string[] Qat(params string[] extra) =>
        With(["qat", "--weights", Baseline, "--uniform-bits", "4", "--out", OutputPath("qat.safetensors")], extra);

    private static string[] Bench(params string[] extra) => With(["bench", "--json", OutputPath("bench.json")], extra);

    /// <summary>The verb's valid arguments with the options <paramref name="extra"/> gives replaced by its values.</summary>
    private static string[] With(string[] valid, string[] extra)
    {
        var given = extra.Where(a => a.StartsWith("--")).Select(a => a.Split('=')[0]).ToHashSet();
        var kept = new List<string>();
        for (int i = 0; i < valid.Length; i++)
        {
            if (given.Contains(valid[i])) { i++; continue; } // drop the option and its value
            kept.Add(valid[i]);
        }
        return [.. kept, .. extra];
    }

    public static TheoryData<string, string[], string> Cases()
    {
        string aFile = ExistingFile("plots-is-a-file");
        string existingOut = ExistingFile("already.safetensors");
        return new TheoryData<string, string[], string>
        {
            // devices
            { "devices: unknown option", ["devices", "--all"], "Option 'all' is unknown: expected one of the options of `ompq devices --help`" },
            { "devices: an option twice", ["devices", "--json", "--json"], "Option 'json' is defined multiple times: expected it once" },
            // search: the enum-like options list what they take
            { "search: --mode", Search("--mode", "int4"), "--mode 'int4' is unknown: expected qat or ptq" },
            { "search: --mode as a number", Search("--mode", "1"), "--mode '1' is unknown: expected qat or ptq" },
            { "search: --coefficients", Search("--coefficients", "median"), "--coefficients 'median' is unknown: expected suffix-mean or theta" },
            { "search: --orm-form", Search("--orm-form", "dense"), "--orm-form 'dense' is unknown: expected auto, gram or feature" },
            { "search: --bn", Search("--bn", "train"), "--bn 'train' is unknown: expected eval or batch" },
            { "search: --accounting", Search("--accounting", "exact"), "--accounting 'exact' is unknown: expected pinned or reference" },
            { "search: --preprocess", Search("--preprocess", "bgr"), "--preprocess 'bgr' is unknown: expected imagenet, cntk-bgr or none" },
            { "search: --preprocess=", Search("--preprocess=rgb"), "--preprocess 'rgb' is unknown: expected imagenet, cntk-bgr or none" },
            { "search: --images too few", Search("--images", "1"), "--images 1 is invalid: expected 2..4096" },
            { "search: --input-size too small", Search("--input-size", "4"), "--input-size 4 is invalid: expected 8..1024 pixels" },
            { "search: --size-mb not a number", Search("--size-mb", "six"), "Option 'size-mb' is defined with a bad format: expected a number (see `ompq search --help`)" },
            { "search: --images not a number", Search("--images", "many"), "Option 'images' is defined with a bad format: expected a whole number" },
            { "search: --memory-limit-gb", Search("--memory-limit-gb", "-1"), "--memory-limit-gb -1 is invalid: expected a positive number of GiB" },
            { "search: --plots names a file", Search("--plots", aFile), $"--plots '{aFile}' is a file, expected a folder" },
            { "search: no network", ["search", "--data", "synthetic", "--size-mb", "1", "--out", OutputPath("search.json")], "no network given: expected --model resnet18|resnet50|mobilenet_v2|resnet20 or --onnx FILE" },
            { "search: too many images for the memory", Search("--images", "300", "--model", "resnet18", "--size-mb", "6.7", "--memory-limit-gb", "0.3"), "expected --images" },
            { "search: --bits", Search("--bits", "3..9"), "expected MIN..MAX with 2 <= MIN <= MAX <= 8" },
            // train
            { "train: --optimizer", Train("--optimizer", "rmsprop"), "--optimizer 'rmsprop' is unknown: expected sgd, adam or adamw" },
            { "train: --schedule", Train("--schedule", "linear"), "--schedule 'linear' is unknown: expected constant, cosine or step" },
            { "train: unknown model", Train("--model", "vgg16"), "unknown model 'vgg16': expected one of resnet18, resnet50, mobilenet_v2, resnet20" },
            { "train: --epochs 0", Train("--epochs", "0"), "--epochs must be >= 1, got 0" },
            { "train: --batch 1", Train("--batch", "1"), "--batch must be >= 2 (batch-norm needs two images), got 1" },
            { "train: --milestones", Train("--schedule", "step", "--milestones", "5;8"), "--milestones '5;8' is invalid: expected comma-separated epoch numbers like 5,8" },
            { "train: --out exists", ["train", "--data", "fashion-mnist", "--epochs", "1", "--out", existingOut], "already exists; expected a new path, or --resume to continue that run" },
            { "train: missing --epochs", ["train", "--data", "fashion-mnist", "--out", OutputPath("train.safetensors")], "Required option 'epochs' is missing: expected --epochs VALUE" },
            // qat
            { "qat: --uniform-bits 9", Qat("--uniform-bits", "9"), "--uniform-bits must be in 2..8, got 9" },
            { "qat: missing checkpoint", ["qat", "--weights", "/nonexistent/w.safetensors", "--uniform-bits", "4", "--out", OutputPath("qat.safetensors")], "/nonexistent/w.safetensors: no such checkpoint file; expected a checkpoint written by `ompq train`" },
            { "qat: --out exists", ["qat", "--weights", Baseline, "--uniform-bits", "4", "--out", existingOut], "already exists; expected a new path" },
            { "qat: --lr 0", Qat("--lr", "0"), "--lr must be a positive number, got 0" },
            // eval
            { "eval: --split", Eval("--split", "validation"), "--split 'validation' is unknown: expected train or test" },
            { "eval: --batch 0", Eval("--batch", "0"), "--batch must be >= 1, got 0" },
            { "eval: --uniform-bits 1", Eval("--uniform-bits", "1"), "--uniform-bits must be in 2..8, got 1" },
            { "eval: unknown dataset", Eval("--data", "cifar10"), "--data 'cifar10' is neither a labelled dataset name (fashion-mnist, mnist) nor an existing image folder" },
            { "eval: --limit 0", Eval("--limit", "0"), "an image limit must be >= 1, got 0" },
            // bench, in the tool build and in the benchmark build
            { "bench: not in the tool build", ["bench", "--quick"], "expected the benchmark build: dotnet run -c Release --project bench/Ompq.BenchCli -- bench --quick" },
            { "bench: --min-time 0", Bench("--min-time", "0"), "--min-time must be a positive number of seconds, got 0" },
            { "bench: --threads -1", Bench("--threads", "-1"), "--threads must be >= 0, got -1" },
            { "bench: --filter matches nothing", Bench("--filter", "no-such-op"), "--filter 'no-such-op' matches no benchmark case" },
            { "bench: --json into a missing folder", ["bench", "--quick", "--filter", "gemm", "--json", "/nonexistent/dir/bench.json"], "cannot write '/nonexistent/dir/bench.json': folder '/nonexistent/dir' does not exist; expected a file in an existing folder" },
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void IsRefusedWithOneLine(string name, string[] args, string expected)
    {
        // `bench` is run by the benchmark build, except the case that shows the tool build pointing there.
        bool benchBuild = args[0] == "bench" && name != "bench: not in the tool build";
        var r = benchBuild ? BenchCliRunner.Run(args) : CliRunner.Run(args);
        Assert.True(r.ExitCode == 2, $"{name}: exit {r.ExitCode}\n{r.Out}\n{r.Error}");
        Assert.Equal("", r.Out);
        string[] lines = r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"{name}: {r.Error}");
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        Assert.Matches("expected|must be|>=|neither", lines[0]); // what was expected, in one of these words

        Assert.DoesNotContain("   at ", r.Error);
        Assert.Empty(Directory.GetFileSystemEntries(Scratch));
    }

    [Fact]
    public void VerboseAddsTheStackTrace()
    {
        var r = CliRunner.Run(Search("--images", "1", "--verbose"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("   at ", r.Error);
    }
}
