using System.Text.Json;
using CommandLine;
using CommandLine.Text;
using Ompq.Runtime.Device;

namespace Ompq.Host.Verbs;

[Verb("devices", HelpText = "List the compute backends and whether they can run on this machine.")]
public sealed class DevicesVerb : IVerb
{
    [Usage(ApplicationAlias = "ompq")]
    public static IEnumerable<Example> Examples => [new("The backends, their devices and memory as JSON", new DevicesVerb { Json = true })];

    [Option("json", HelpText = "Machine-readable output on stdout.")]
    public bool Json { get; set; }

    [Option("verbose", HelpText = "Show stack traces of errors.")]
    public bool Verbose { get; set; }

    public int Execute(CliContext context)
    {
        IReadOnlyList<DeviceDescription> devices = BackendRegistry.List();
        if (Json)
        {
            using var stream = new MemoryStream();
            using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                json.WriteStartArray();
                foreach (var d in devices)
                {
                    json.WriteStartObject();
                    json.WriteString("id", d.Id);
                    json.WriteString("name", d.Name);
                    json.WriteNumber("memory_bytes", d.MemoryBytes);
                    json.WriteNumber("compute_units", d.ComputeUnits);
                    json.WriteBoolean("available", d.Available);
                    if (d.Reason is null) json.WriteNull("reason"); else json.WriteString("reason", d.Reason);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            context.Out.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
            return Cli.Ok;
        }

        var table = new TextTable("id", "available", ">memory", ">units", "device / reason");
        foreach (var d in devices)
            table.Add(d.Id, d.Available ? "yes" : "no", d.MemoryBytes > 0 ? $"{d.MemoryBytes / (double)(1L << 30):0.#} GiB" : "-",
                d.ComputeUnits > 0 ? d.ComputeUnits.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-",
                d.Available ? d.Name : d.Name is "" or "-" ? d.Reason ?? "" : $"{d.Name}: {d.Reason}");
        table.Write(context.Out);
        return Cli.Ok;
    }
}
