using System.Text.Json;
using Ompq.Runtime;
using Ompq.Runtime.Training;

namespace Ompq.Host.Verbs;

/// <summary>A resumed run must be the same run: the same options, or it could not end bit-identical to an uninterrupted one.</summary>
internal static class TrainingOptionsMatch
{
    public static void Check(TrainingCheckpoint checkpoint, TrainingOptions options, string path)
    {
        var saved = JsonSerializer.SerializeToElement(checkpoint.Options);
        var given = JsonSerializer.SerializeToElement(options);
        foreach (var property in given.EnumerateObject())
        {
            string before = saved.TryGetProperty(property.Name, out var v) ? v.GetRawText() : "(absent)";
            if (before != property.Value.GetRawText())
                throw new InvalidInputException(
                    $"--resume: checkpoint '{path}' was written with {property.Name} = {before}, this command gives {property.Value.GetRawText()}; resume with the same options");
        }
    }
}
