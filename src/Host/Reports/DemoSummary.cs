using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Ompq.Host.Reports;

/// <summary>What `ompq demo` tells the user at the end: bits per unit, size and top-1 before/after, the files.</summary>
public sealed record DemoSummary(
    string Model, string Data, int TestImages, double Top1Before, double Top1After, double FloatMiB, double QuantizedMiB, double BudgetMiB,
    IReadOnlyList<(string Unit, long Params, int Bits)> Units, double SearchSeconds, long ExportedBytes,
    string Report, string Plots, string Checkpoint, string Exported)
{
    public void Write(TextWriter o)
    {
        string I(FormattableString f) => f.ToString(CultureInfo.InvariantCulture);
        o.WriteLine();
        o.WriteLine(I($"{Model} on {Data}: OMPQ search ({SearchSeconds:F1} s) → post-training quantization → evaluation → export"));
        o.WriteLine();
        o.WriteLine("unit                      params  bits");
        foreach (var (unit, parameters, bits) in Units) o.WriteLine(I($"{unit,-24} {parameters,7}  {bits,4}"));
        o.WriteLine();
        o.WriteLine(I($"size   {FloatMiB:F3} MiB fp32 → {QuantizedMiB:F3} MiB (budget {BudgetMiB:F3} MiB, {FloatMiB / QuantizedMiB:F1}× smaller)"));
        o.WriteLine(I($"top-1  {Top1Before * 100:F2} % → {Top1After * 100:F2} % ({(Top1After - Top1Before) * 100:+0.00;-0.00} points) on {TestImages} test images"));
        o.WriteLine();
        o.WriteLine($"search report  {Report}");
        o.WriteLine($"plots          {Plots}");
        o.WriteLine($"quantized      {Checkpoint}   (ompq eval --weights {Checkpoint})");
        o.WriteLine(I($"exported       {Exported}   ({ExportedBytes / 1024.0:F0} KiB, weights packed at their widths)"));
    }

    public string Json()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("model", Model);
            w.WriteString("data", Data);
            w.WriteNumber("test_images", TestImages);
            w.WriteNumber("top1_before", Top1Before);
            w.WriteNumber("top1_after", Top1After);
            w.WriteNumber("size_mib_fp32", FloatMiB);
            w.WriteNumber("size_mib", QuantizedMiB);
            w.WriteNumber("budget_mib", BudgetMiB);
            w.WriteNumber("search_seconds", SearchSeconds);
            w.WriteStartArray("units");
            foreach (var (unit, parameters, bits) in Units)
            {
                w.WriteStartObject();
                w.WriteString("name", unit);
                w.WriteNumber("params", parameters);
                w.WriteNumber("bits", bits);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("search_report", Report);
            w.WriteString("plots", Plots);
            w.WriteString("checkpoint", Checkpoint);
            w.WriteString("exported", Exported);
            w.WriteNumber("exported_bytes", ExportedBytes);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
