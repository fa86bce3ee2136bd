using Ompq.Host.Options;

namespace Ompq.Tests.Cli;

/// <summary>`ompq --help` lists every verb with a line and an example; each verb's help has a worked example and its defaults.</summary>
public sealed class HelpTests
{
    [Fact]
    public void IndexListsEveryVerbWithALineAndAnExample()
    {
        var top = CliRunner.Run("--help");
        Assert.Equal(0, top.ExitCode);
        Assert.Equal("", top.Error);
        foreach (var verb in Ompq.Host.Cli.Verbs)
        {
            string name = VerbOptions.Verb(verb).Name;
            Assert.Contains($"  {name} ", top.Out);
            Assert.Matches($@"e\.g\. ompq {name}( |\r?\n)", top.Out);
        }
        Assert.Contains("bench", top.Out); // pointed to the benchmark build
        var bench = BenchCliRunner.Run("--help");
        Assert.Contains("  bench ", bench.Out);
    }

    [Theory]
    [InlineData("devices")]
    [InlineData("search")]
    [InlineData("train")]
    [InlineData("qat")]
    [InlineData("eval")]
    public void EachVerbShowsAWorkedExampleAndItsDefaults(string verb)
    {
        var r = CliRunner.Run(verb, "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Example", r.Out);
        Assert.Contains($"    ompq {verb} ", r.Out);
        if (verb != "devices") Assert.Contains("(default: ", r.Out);
        // `ompq help VERB` is the same screen.
        Assert.Equal(r.Out, CliRunner.Run("help", verb).Out);
    }

    [Fact]
    public void SearchHelpSpellsEnumValuesAndDefaultsAsTheCommandLineTakesThem()
    {
        string help = CliRunner.Run("search", "--help").Out;
        Assert.Contains("--coefficients suffix-mean|theta", help);
        Assert.Contains("--preprocess imagenet|cntk-bgr|none", help);
        Assert.Contains("(default: suffix-mean)", help);
        Assert.Contains("(default: 32)", help);                       // --images
        Assert.Contains("resnet18 | resnet50 | mobilenet_v2 | resnet20", help); // from the zoo, not a copy
        Assert.Contains("ompq search --model resnet18 --data synthetic --size-mb 6.7 --out out/search.json --plots out", help);
        Assert.Contains("--mode ptq", help);
        Assert.Contains("--preprocess cntk-bgr", help);
    }

    [Fact]
    public void EveryExampleParses()
    {
        foreach (var verb in Ompq.BenchCli.Program.Verbs)
        foreach (var example in HelpScreen.Examples(verb))
        {
            string[] words = HelpScreen.CommandLine(VerbOptions.Verb(verb).Name, example.Sample).Split(' ')[1..];
            var parsed = VerbOptions.WithEnumMemberNames(words, Ompq.BenchCli.Program.Verbs);
            using var parser = new CommandLine.Parser(s => { s.HelpWriter = null; s.CaseInsensitiveEnumValues = true; });
            var result = parser.ParseArguments(parsed, Ompq.BenchCli.Program.Verbs);
            Assert.True(result is CommandLine.Parsed<object>, $"{string.Join(' ', words)}: {string.Join("; ", result.Errors)}");
        }
    }

    [Theory]
    [InlineData("SuffixMean", "suffix-mean")]
    [InlineData("CntkBgr", "cntk-bgr")]
    [InlineData("Qat", "qat")]
    [InlineData("AdamW", "adamw")]
    public void EnumSpellings(string member, string spelling)
    {
        var type = new[] { typeof(Ompq.Runtime.Search.CoefficientRule), typeof(Ompq.Host.Data.Preprocessing), typeof(Ompq.Runtime.Nn.SearchMode), typeof(Ompq.Runtime.Training.OptimizerKind) }
            .First(t => Enum.GetNames(t).Contains(member));
        Assert.Equal(spelling, EnumSpelling.Of((Enum)Enum.Parse(type, member)));
        Assert.Equal(member, EnumSpelling.MemberName(type, spelling.ToUpperInvariant()));
    }
}
