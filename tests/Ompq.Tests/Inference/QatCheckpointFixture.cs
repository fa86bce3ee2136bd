using Ompq.Tests.Cli;

namespace Ompq.Tests.Inference;

/// <summary>
/// One short quantization-aware run of the committed float baseline (4-bit weights, 8-bit activations), exported once
/// and shared by the tests of a class. Null paths when Fashion-MNIST is not installed (the tests skip).
/// </summary>
public sealed class QatCheckpointFixture
{
    public QatCheckpointFixture()
    {
        if (!File.Exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")) return;
        string dir = CliRunner.TempDir();
        Baseline = Path.Combine(RepositoryRoot(), "models", "resnet20-fashion-mnist.safetensors");
        Checkpoint = Path.Combine(dir, "qat.safetensors");
        var qat = CliRunner.Run("qat", "--weights", Baseline, "--uniform-bits", "4", "--limit", "256", "--epochs", "1", "--batch", "64",
            "--test-limit", "300", "--out", Checkpoint, "--json");
        if (qat.ExitCode != 0) throw new InvalidOperationException($"qat failed: {qat.Error}");
        Model = Path.Combine(dir, "qat-w4a8.safetensors");
        var export = CliRunner.Run("export", "--weights", Checkpoint, "--out", Model);
        if (export.ExitCode != 0) throw new InvalidOperationException($"export failed: {export.Error}");
    }

    public string? Baseline { get; }
    public string? Checkpoint { get; }
    public string? Model { get; }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "OmpqKernels.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no OmpqKernels.sln above {AppContext.BaseDirectory}");
    }
}
