using System.Globalization;
using System.Text.Json;
using Ompq.Kernels;
using Ompq.Runtime.Training;

namespace Ompq.Host.Reports;

/// <summary>What `ompq train` prints: a line per epoch, a closing summary, or the --json document.</summary>
public static class TrainingReport
{
    public sealed record Summary(string Model, string Dataset, BackendInfo Device, TrainingOptions Options, TrainingState State,
        double Seconds, string Checkpoint, long? PeakRssBytes);

    private const int ProgressBarWidth = 24;

    /// <summary>The progress line while training: a bar for the epoch, loss, top-1, images/s and the learning rate.</summary>
    public static string ProgressText(TrainingProgress p)
    {
        int filled = (int)((long)ProgressBarWidth * p.Batch / Math.Max(1, p.Batches));
        return string.Create(CultureInfo.InvariantCulture,
            $"epoch {p.Epoch + 1}/{p.Epochs} [{new string('#', filled)}{new string('.', ProgressBarWidth - filled)}] {p.Batch}/{p.Batches}  loss {p.Loss:F4}  top-1 {p.Top1 * 100:F2}%  {p.ImagesPerSecond:F0} img/s  lr {p.Lr:G4}");
    }

    public static void WriteEpoch(TextWriter output, EpochSummary e, int epochs)
    {
        string test = e.TestTop1 is { } t ? string.Create(CultureInfo.InvariantCulture, $" | test loss {e.TestLoss:F4} top-1 {t * 100:F2}%") : "";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"epoch {e.Epoch}/{epochs}: train loss {e.TrainLoss:F4} top-1 {e.TrainTop1 * 100:F2}%{test} | {e.Seconds:F1} s, {e.ImagesPerSecond:F0} img/s"));
    }

    public static void WriteSummary(TextWriter output, Summary s)
    {
        var last = s.State.History.Count > 0 ? s.State.History[^1] : null;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trained {s.Model} on {s.Dataset} with {s.Device.Id} ({s.Device.DeviceName}): {s.State.Epoch} epochs, {s.State.Step} steps, {s.Seconds:F1} s this session"));
        if (last?.TestTop1 is { } top1) output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"test top-1 {top1 * 100:F2}%, loss {last.TestLoss:F4}"));
        if (s.PeakRssBytes is { } rss) output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"peak resident memory {rss / (1024.0 * 1024 * 1024):F2} GiB"));
        output.WriteLine($"checkpoint: {s.Checkpoint}");
    }

    public static string Json(Summary s)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("model", s.Model);
            json.WriteString("dataset", s.Dataset);
            json.WriteString("device", s.Device.Id);
            json.WriteString("device_name", s.Device.DeviceName);
            json.WriteNumber("epochs", s.State.Epoch);
            json.WriteNumber("steps", s.State.Step);
            json.WriteNumber("seconds", s.Seconds);
            json.WriteString("checkpoint", s.Checkpoint);
            if (s.PeakRssBytes is { } rss) json.WriteNumber("peak_rss_bytes", rss);
            var last = s.State.History.Count > 0 ? s.State.History[^1] : null;
            if (last is not null)
            {
                json.WriteNumber("train_loss", last.TrainLoss);
                json.WriteNumber("train_top1", last.TrainTop1);
                if (last.TestTop1 is { } t) json.WriteNumber("top1", t);
                if (last.TestLoss is { } l) json.WriteNumber("loss", l);
            }
            json.WriteStartArray("history");
            foreach (var e in s.State.History)
            {
                json.WriteStartObject();
                json.WriteNumber("epoch", e.Epoch);
                json.WriteNumber("train_loss", e.TrainLoss);
                json.WriteNumber("train_top1", e.TrainTop1);
                if (e.TestTop1 is { } t) json.WriteNumber("test_top1", t);
                if (e.TestLoss is { } l) json.WriteNumber("test_loss", l);
                json.WriteNumber("seconds", e.Seconds);
                json.WriteNumber("images_per_second", e.ImagesPerSecond);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray()) + Environment.NewLine;
    }
}
