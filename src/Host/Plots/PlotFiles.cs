using ScottPlot;
using SkiaSharp;

namespace Ompq.Host.Plots;

/// <summary>
/// Rendered pictures, each as PNG and SVG, kept in memory until the caller writes them (so a failure leaves no partial
/// output). ScottPlot draws them: MIT-licensed, served by the package registry, no native dependency beyond SkiaSharp,
/// whose Linux native library (SkiaSharp.NativeAssets.Linux.NoDependencies, pulled in by ScottPlot) needs neither X11
/// nor fontconfig, so plots render headless. Text needs a font file on the machine; without one the pictures are
/// still written, without text, and <see cref="Warning"/> says how to get a font.
/// </summary>
public sealed class PlotFiles
{
    private readonly List<(string Name, byte[] Bytes)> _files = [];

    public IReadOnlyList<(string Name, byte[] Bytes)> Files => _files;

    /// <summary>Set when no font is installed, so the pictures have no titles, axis names or labels.</summary>
    public string? Warning { get; } = SKFontManager.Default.FontFamilyCount == 0
        ? "no fonts are installed, so the plots carry no text (titles, axis names, labels); install one, e.g. apt-get install fonts-dejavu-core"
        : null;

    /// <summary>Adds <paramref name="stem"/>.png and <paramref name="stem"/>.svg of <paramref name="plot"/> at the given size in pixels.</summary>
    public void Add(Plot plot, string stem, int width, int height)
    {
        _files.Add(($"{stem}.png", plot.GetImageBytes(width, height, ImageFormat.Png)));
        _files.Add(($"{stem}.svg", System.Text.Encoding.UTF8.GetBytes(plot.GetSvgXml(width, height))));
    }

    /// <summary>Writes every file into <paramref name="folder"/> (created if missing), each atomically.</summary>
    public void WriteTo(string folder, string optionName)
    {
        CreateFolder(folder, optionName);
        foreach (var (name, bytes) in _files) Runtime.Io.AtomicFile.Write(Path.Combine(folder, name), bytes);
    }

    /// <summary>Refuses, before any work, a folder option that names a file.</summary>
    public static void CheckFolder(string? folder, string optionName)
    {
        if (folder is not null && File.Exists(folder))
            throw new Runtime.InvalidInputException($"{optionName} '{folder}' is a file, expected a folder");
    }

    /// <summary>Creates the folder an option names, or says as bad input why it cannot be.</summary>
    public static void CreateFolder(string folder, string optionName)
    {
        try { Directory.CreateDirectory(folder); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new Runtime.InvalidInputException($"cannot create {optionName} folder '{folder}': {ex.Message}", ex);
        }
    }
}
