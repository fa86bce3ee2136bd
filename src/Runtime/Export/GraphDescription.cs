using System.Text;
using System.Text.Json;
using Ompq.Kernels;
using Ompq.Runtime.Inference;
using Ompq.Runtime.Io;
using Ompq.Runtime.Nn.Graph;

namespace Ompq.Runtime.Export;

/// <summary>
/// A batch-norm-free <see cref="ModelGraph"/> as JSON, so an exported model runs without the model zoo or the source
/// ONNX file: {"input", "output", "nodes": [{"op", "name", "inputs", "output", ...op fields}]}. Reading checks every
/// field and names the node and field that is wrong.
/// </summary>
public static class GraphDescription
{
    public static string Write(ModelGraph graph)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("input", graph.InputName);
            json.WriteString("output", graph.OutputName);
            json.WriteStartArray("nodes");
            foreach (var node in graph.Nodes) WriteNode(json, node);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteNode(Utf8JsonWriter json, GraphNode node)
    {
        json.WriteStartObject();
        json.WriteString("name", node.Name);
        json.WriteStartArray("inputs");
        foreach (var input in node.Inputs) json.WriteStringValue(input);
        json.WriteEndArray();
        json.WriteString("output", node.Output);
        switch (node)
        {
            case ConvNode conv:
                if (conv.BatchNorm is not null) throw new UnsupportedModelException($"conv '{conv.Name}' still has a batch-norm; export takes the folded graph");
                json.WriteString("op", "conv");
                json.WriteString("weight", conv.WeightName);
                if (conv.BiasName is not null) json.WriteString("bias", conv.BiasName);
                var g = conv.Geometry;
                WritePair(json, "stride", g.StrideH, g.StrideW);
                WritePair(json, "pad", g.PadH, g.PadW);
                WritePair(json, "dilation", g.DilationH, g.DilationW);
                json.WriteNumber("groups", g.Groups);
                json.WriteString("activation", ActivationName(conv.Activation));
                break;
            case LinearNode linear:
                json.WriteString("op", "linear");
                json.WriteString("weight", linear.WeightName);
                if (linear.BiasName is not null) json.WriteString("bias", linear.BiasName);
                json.WriteString("activation", ActivationName(linear.Activation));
                break;
            case AddNode add:
                json.WriteString("op", "add");
                json.WriteString("activation", ActivationName(add.Activation));
                break;
            case ActivationNode activation:
                json.WriteString("op", "activation");
                json.WriteString("activation", ActivationName(activation.Activation));
                break;
            case PoolNode pool:
                json.WriteString("op", pool.Pool == PoolKind.Max ? "max_pool" : "average_pool");
                WritePair(json, "kernel", pool.KernelH, pool.KernelW);
                WritePair(json, "stride", pool.StrideH, pool.StrideW);
                WritePair(json, "pad", pool.PadH, pool.PadW);
                json.WriteBoolean("count_include_pad", pool.CountIncludePad);
                break;
            case GlobalAvgPoolNode:
                json.WriteString("op", "global_average_pool");
                break;
            case ReshapeNode reshape:
                json.WriteString("op", "reshape");
                json.WriteStartArray("shape");
                foreach (int d in reshape.TargetShape) json.WriteNumberValue(d);
                json.WriteEndArray();
                break;
            default:
                throw new UnsupportedModelException($"{node.Kind} node '{node.Name}' cannot be exported");
        }
        json.WriteEndObject();
    }

    private static void WritePair(Utf8JsonWriter json, string name, int a, int b)
    {
        json.WriteStartArray(name);
        json.WriteNumberValue(a);
        json.WriteNumberValue(b);
        json.WriteEndArray();
    }

    private static string ActivationName(Activation activation) => activation switch
    {
        Activation.Relu => "relu",
        Activation.Relu6 => "relu6",
        _ => "none",
    };

    /// <summary>The graph a <see cref="Write"/> text describes; <see cref="ModelFileException"/> for anything malformed.</summary>
    public static ModelGraph Read(string text, string source)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Error(source, "graph", "must be an object");
            string input = String(root, "input", source, "graph");
            string output = String(root, "output", source, "graph");
            if (!root.TryGetProperty("nodes", out var nodes) || nodes.ValueKind != JsonValueKind.Array)
                throw Error(source, "graph", "needs a 'nodes' array");
            var list = new List<GraphNode>();
            foreach (var element in nodes.EnumerateArray()) list.Add(ReadNode(element, source));
            return new ModelGraph(input, list, output);
        }
        catch (JsonException e)
        {
            throw new ModelFileException($"{source}: metadata 'graph' is not valid JSON ({PrintableText.Of(e.Message)})", e);
        }
        catch (InvalidInputException e) when (e is not ModelFileException)
        {
            throw new ModelFileException($"{source}: metadata 'graph': {e.Message}", e);
        }
    }

    private static GraphNode ReadNode(JsonElement e, string source)
    {
        if (e.ValueKind != JsonValueKind.Object) throw Error(source, "graph node", "must be an object");
        string name = String(e, "name", source, "graph node");
        string where = $"graph node '{PrintableText.Of(name)}'";
        string op = String(e, "op", source, where);
        string output = String(e, "output", source, where);
        if (!e.TryGetProperty("inputs", out var inputsElement) || inputsElement.ValueKind != JsonValueKind.Array)
            throw Error(source, where, "needs an 'inputs' array");
        var inputs = inputsElement.EnumerateArray().Select(i => i.ValueKind == JsonValueKind.String ? i.GetString()! : throw Error(source, where, "inputs must be strings")).ToArray();
        int expectedInputs = op == "add" ? 2 : 1;
        if (inputs.Length != expectedInputs) throw Error(source, where, $"op '{PrintableText.Of(op)}' takes {expectedInputs} input(s), got {inputs.Length}");
        switch (op)
        {
            case "conv":
            {
                var (sh, sw) = Pair(e, "stride", source, where, 1);
                var (ph, pw) = Pair(e, "pad", source, where, 0);
                var (dh, dw) = Pair(e, "dilation", source, where, 1);
                int groups = Int(e, "groups", source, where, 1);
                return new ConvNode(name, inputs[0], output, String(e, "weight", source, where), OptionalString(e, "bias", source, where), null,
                    new ConvGeometry(sh, sw, ph, pw, dh, dw, groups), ReadActivation(e, source, where));
            }
            case "linear":
                return new LinearNode(name, inputs[0], output, String(e, "weight", source, where), OptionalString(e, "bias", source, where), ReadActivation(e, source, where));
            case "add":
                return new AddNode(name, inputs[0], inputs[1], output, ReadActivation(e, source, where));
            case "activation":
                return new ActivationNode(name, inputs[0], output, ReadActivation(e, source, where));
            case "max_pool":
            case "average_pool":
            {
                var (kh, kw) = Pair(e, "kernel", source, where, 1);
                var (sh, sw) = Pair(e, "stride", source, where, 1);
                var (ph, pw) = Pair(e, "pad", source, where, 0);
                bool include = !e.TryGetProperty("count_include_pad", out var c) || c.ValueKind == JsonValueKind.True
                    || (c.ValueKind == JsonValueKind.False ? false : throw Error(source, where, "count_include_pad must be true or false"));
                return new PoolNode(name, inputs[0], output, op == "max_pool" ? PoolKind.Max : PoolKind.Average, kh, kw, sh, sw, ph, pw, include);
            }
            case "global_average_pool":
                return new GlobalAvgPoolNode(name, inputs[0], output);
            case "reshape":
            {
                if (!e.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array || shape.GetArrayLength() is 0 or > 8)
                    throw Error(source, where, "needs a 'shape' array of 1..8 sizes");
                var dims = shape.EnumerateArray().Select(d => d.TryGetInt32(out int v) && v >= -1 && v != 0 ? v : throw Error(source, where, "shape sizes must be positive or -1")).ToArray();
                return new ReshapeNode(name, inputs[0], output, dims);
            }
            default:
                throw Error(source, where, $"op '{PrintableText.Of(op)}' is unknown (conv, linear, add, activation, max_pool, average_pool, global_average_pool, reshape)");
        }
    }

    private static Activation ReadActivation(JsonElement e, string source, string where) => String(e, "activation", source, where) switch
    {
        "none" => Activation.None,
        "relu" => Activation.Relu,
        "relu6" => Activation.Relu6,
        var other => throw Error(source, where, $"activation '{PrintableText.Of(other)}' is unknown (none, relu, relu6)"),
    };

    private static string String(JsonElement e, string field, string source, string where)
        => e.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s
            ? s
            : throw Error(source, where, $"needs a non-empty string '{field}'");

    private static string? OptionalString(JsonElement e, string field, string source, string where)
        => e.TryGetProperty(field, out _) ? String(e, field, source, where) : null;

    private static int Int(JsonElement e, string field, string source, string where, int min)
        => !e.TryGetProperty(field, out var v) ? min
            : v.TryGetInt32(out int i) && i >= min && i <= 1 << 16 ? i
            : throw Error(source, where, $"'{field}' must be an integer in {min}..65536");

    private static (int, int) Pair(JsonElement e, string field, string source, string where, int min)
    {
        if (!e.TryGetProperty(field, out var v) || v.ValueKind != JsonValueKind.Array || v.GetArrayLength() != 2)
            throw Error(source, where, $"needs '{field}' as two integers");
        int a = v[0].TryGetInt32(out int x) && x >= min && x <= 1 << 16 ? x : throw Error(source, where, $"'{field}' values must be integers in {min}..65536");
        int b = v[1].TryGetInt32(out int y) && y >= min && y <= 1 << 16 ? y : throw Error(source, where, $"'{field}' values must be integers in {min}..65536");
        return (a, b);
    }

    private static ModelFileException Error(string source, string where, string what) => new($"{source}: metadata 'graph': {where} {what}");
}
