using System.Globalization;

namespace Ompq.Runtime.Io;

/// <summary>
/// How much an input file may ask for. Every number a reader takes from a file (a dimension, a count, a length) is
/// checked against these before anything that size is allocated or looped over, so a small hostile or damaged file
/// cannot make the process allocate gigabytes, run for minutes or index past a buffer. The defaults fit a machine with
/// 24 GiB of memory and leave room for a search over real models (ResNet-50 at 224 pixels uses a small fraction of each);
/// a user with a larger model or machine raises them by name (<see cref="Parse"/>).
/// </summary>
public sealed record ResourceLimits
{
    public static ResourceLimits Default { get; } = new();

    /// <summary>Elements of any one tensor: a parameter, a per-image activation, or the whole input batch (1 GiB of fp32).</summary>
    public long MaxTensorElements { get; init; } = 1L << 28;

    /// <summary>Pixels (height × width) of one image: a decoded PNG/JPEG/BMP, an IDX image, a model's declared input (8192²).</summary>
    public long MaxImagePixels { get; init; } = 1L << 26;

    /// <summary>Bytes read from one file, zip entry or decompressed gzip stream (1 GiB).</summary>
    public long MaxInputBytes { get; init; } = 1L << 30;

    /// <summary>Entries on a pickle's stack at once (a state dict of thousands of tensors uses a few dozen).</summary>
    public long MaxPickleStack { get; init; } = 1L << 20;

    /// <summary>Entries in a pickle's memo (a few per tensor in a state dict).</summary>
    public long MaxPickleMemo { get; init; } = 1L << 20;

    /// <summary>Nodes in an imported graph (ResNet-152 has about 500).</summary>
    public long MaxGraphNodes { get; init; } = 1L << 20;

    /// <summary>Per-thread scratch one op may need, in bytes: the padded plane of a window kernel (256 MiB).</summary>
    public long MaxScratchBytes { get; init; } = 256L << 20;

    /// <summary>Window taps (kernel height × width) of one conv or pooling output; bounds the time of windows made mostly of padding.</summary>
    public long MaxWindowTaps { get; init; } = 1L << 20;

    // The names by which limits are raised (messages name the limit an input passed, so its name says how to raise it).
    public const string TensorElements = "tensor-elements";
    public const string ImagePixels = "image-pixels";
    public const string InputBytes = "input-bytes";
    public const string PickleStack = "pickle-stack";
    public const string PickleMemo = "pickle-memo";
    public const string GraphNodes = "graph-nodes";
    public const string ScratchBytes = "scratch-bytes";
    public const string WindowTaps = "window-taps";

    private sealed record Limit(string Key, string Meaning, Func<ResourceLimits, long> Get, Func<ResourceLimits, long, ResourceLimits> With);

    private static readonly Limit[] All =
    [
        new(TensorElements, "elements of one tensor (parameter, activation, input batch)", l => l.MaxTensorElements, (l, v) => l with { MaxTensorElements = v }),
        new(ImagePixels, "height × width of one image or model input", l => l.MaxImagePixels, (l, v) => l with { MaxImagePixels = v }),
        new(InputBytes, "bytes read from one file, zip entry or gzip stream", l => l.MaxInputBytes, (l, v) => l with { MaxInputBytes = v }),
        new(PickleStack, "entries on a PyTorch pickle's stack", l => l.MaxPickleStack, (l, v) => l with { MaxPickleStack = v }),
        new(PickleMemo, "entries in a PyTorch pickle's memo", l => l.MaxPickleMemo, (l, v) => l with { MaxPickleMemo = v }),
        new(GraphNodes, "nodes of an ONNX graph", l => l.MaxGraphNodes, (l, v) => l with { MaxGraphNodes = v }),
        new(ScratchBytes, "per-thread scratch bytes of one conv or pooling op", l => l.MaxScratchBytes, (l, v) => l with { MaxScratchBytes = v }),
        new(WindowTaps, "kernel height × width of one conv or pooling window", l => l.MaxWindowTaps, (l, v) => l with { MaxWindowTaps = v }),
    ];

    /// <summary>Every limit's name and what it bounds, in a fixed order (for help texts).</summary>
    public static IEnumerable<(string Key, string Meaning)> Keys => All.Select(l => (l.Key, l.Meaning));

    public long this[string key] => Find(key)?.Get(this) ?? throw new ArgumentException($"unknown limit '{key}'", nameof(key));

    /// <summary>"key=value, …" for every limit.</summary>
    public override string ToString() => string.Join(", ", All.Select(l => $"{l.Key}={l.Get(this)}"));

    private static Limit? Find(string key) => All.FirstOrDefault(l => l.Key == key);

    /// <summary>
    /// The default limits with some raised or lowered: "key=value,key=value", values as integers with an optional binary
    /// suffix k, M or G (e.g. "tensor-elements=2G,input-bytes=4G").
    /// </summary>
    public static ResourceLimits Parse(string text, string optionName)
    {
        var limits = Default;
        foreach (string item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int equals = item.IndexOf('=');
            string key = equals < 0 ? item : item[..equals].Trim();
            var limit = Find(key)
                ?? throw new InvalidInputException($"{optionName} '{item}': unknown limit '{key}'; expected KEY=N with KEY one of {string.Join(", ", All.Select(k => k.Key))}");
            if (equals < 0 || !TryParseAmount(item[(equals + 1)..].Trim(), out long value) || value <= 0)
                throw new InvalidInputException($"{optionName} '{item}': expected {key}=N with N a positive integer, optionally with a suffix k, M or G (×1024)");
            limits = limit.With(limits, value);
        }
        return limits;
    }

    private static bool TryParseAmount(string text, out long value)
    {
        value = 0;
        if (text.Length == 0) return false;
        int shift = char.ToLowerInvariant(text[^1]) switch { 'k' => 10, 'm' => 20, 'g' => 30, _ => 0 };
        if (shift > 0) text = text[..^1];
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long number)) return false;
        if (number > long.MaxValue >> shift) return false;
        value = number << shift;
        return true;
    }

    /// <summary>Throws when <paramref name="amount"/> passes the limit named <paramref name="key"/>; <paramref name="what"/> says what asked for it.</summary>
    public void Check(string key, long amount, string what)
    {
        long limit = this[key];
        if (amount > limit) throw Exceeded(key, $"{what}: {amount} exceeds the {key} limit of {limit}");
    }

    /// <summary>
    /// The product of <paramref name="factors"/> checked against the limit named <paramref name="key"/> as it is formed, so
    /// that no intermediate product can overflow; factors must be non-negative.
    /// </summary>
    public long CheckProduct(string key, ReadOnlySpan<long> factors, string what)
    {
        long limit = this[key];
        long product = 1;
        foreach (long f in factors)
        {
            if (f < 0) throw new ArgumentOutOfRangeException(nameof(factors), "factors must be non-negative");
            if (f == 0) return 0;
        }
        foreach (long f in factors)
        {
            if (product > limit / f)
                throw Exceeded(key, $"{what}: {string.Join("×", factors.ToArray())} exceeds the {key} limit of {limit}");
            product *= f;
        }
        return product;
    }

    /// <summary>The bad-input error for a passed limit, carrying the limit's name so a caller can say how to raise it.</summary>
    public static InvalidInputException Exceeded(string key, string message) => new(message) { ResourceLimit = key };
}
