using System.Buffers.Binary;

namespace Ompq.Runtime.Io.Onnx;

/// <summary>The parts of an ONNX ModelProto the importer uses (field numbers from onnx.proto).</summary>
internal sealed class OnnxModel
{
    public long IrVersion { get; private set; }
    public string Producer { get; private set; } = "";
    public long OpsetVersion { get; private set; }
    public OnnxGraph Graph { get; private set; } = new();

    public static OnnxModel Parse(ReadOnlySpan<byte> data, ResourceLimits limits)
    {
        var model = new OnnxModel();
        bool hasGraph = false;
        var r = new ProtoReader(data);
        while (r.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1 when wire == 0: model.IrVersion = r.ReadInt64(); break;
                case 2 when wire == 2: model.Producer = r.ReadString(); break;
                case 7 when wire == 2: model.Graph = OnnxGraph.Parse(r.ReadBytes(), limits); hasGraph = true; break;
                case 8 when wire == 2:
                {
                    var opset = new ProtoReader(r.ReadBytes());
                    string domain = "";
                    long version = 0;
                    while (opset.Next(out int f, out int w))
                    {
                        if (f == 1 && w == 2) domain = opset.ReadString();
                        else if (f == 2 && w == 0) version = opset.ReadInt64();
                        else opset.Skip(w);
                    }
                    if (domain is "" or "ai.onnx") model.OpsetVersion = version;
                    break;
                }
                default: r.Skip(wire); break;
            }
        }
        if (!hasGraph) throw new InvalidDataException("the ModelProto has no graph");
        return model;
    }
}

internal sealed class OnnxGraph
{
    public List<OnnxNode> Nodes { get; } = new();
    public List<OnnxTensor> Initializers { get; } = new();
    public List<OnnxValueInfo> Inputs { get; } = new();
    public List<OnnxValueInfo> Outputs { get; } = new();

    public static OnnxGraph Parse(ReadOnlySpan<byte> data, ResourceLimits limits)
    {
        var graph = new OnnxGraph();
        var r = new ProtoReader(data);
        while (r.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1 when wire == 2:
                    // Counted as they are read, so a file of millions of tiny nodes is refused before it is all parsed.
                    limits.Check(ResourceLimits.GraphNodes, graph.Nodes.Count + 1L, "the graph's node count");
                    graph.Nodes.Add(OnnxNode.Parse(r.ReadBytes(), limits));
                    break;
                case 5 when wire == 2: graph.Initializers.Add(OnnxTensor.Parse(r.ReadBytes(), limits)); break;
                case 11 when wire == 2: graph.Inputs.Add(OnnxValueInfo.Parse(r.ReadBytes())); break;
                case 12 when wire == 2: graph.Outputs.Add(OnnxValueInfo.Parse(r.ReadBytes())); break;
                default: r.Skip(wire); break;
            }
        }
        return graph;
    }
}

internal sealed class OnnxNode
{
    public List<string> Inputs { get; } = new();
    public List<string> Outputs { get; } = new();
    public string Name { get; private set; } = "";
    public string OpType { get; private set; } = "";
    public string Domain { get; private set; } = "";
    public Dictionary<string, OnnxAttribute> Attributes { get; } = new(StringComparer.Ordinal);

    public static OnnxNode Parse(ReadOnlySpan<byte> data, ResourceLimits limits)
    {
        var node = new OnnxNode();
        var r = new ProtoReader(data);
        while (r.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1 when wire == 2: node.Inputs.Add(r.ReadString()); break;
                case 2 when wire == 2: node.Outputs.Add(r.ReadString()); break;
                case 3 when wire == 2: node.Name = r.ReadString(); break;
                case 4 when wire == 2: node.OpType = r.ReadString(); break;
                case 7 when wire == 2: node.Domain = r.ReadString(); break;
                case 5 when wire == 2:
                {
                    var a = OnnxAttribute.Parse(r.ReadBytes(), limits);
                    node.Attributes[a.Name] = a;
                    break;
                }
                default: r.Skip(wire); break;
            }
        }
        if (node.Name.Length == 0 && node.Outputs.Count > 0) node.Name = node.Outputs[0];
        return node;
    }

    public long Int(string name, long fallback) => Attributes.TryGetValue(name, out var a) && a.Int is { } v ? v : fallback;
    public float Float(string name, float fallback) => Attributes.TryGetValue(name, out var a) && a.Float is { } v ? v : fallback;
    public List<long>? Ints(string name) => Attributes.TryGetValue(name, out var a) && a.Ints.Count > 0 ? a.Ints : null;
    public string? String(string name) => Attributes.TryGetValue(name, out var a) ? a.String : null;
}

internal sealed class OnnxAttribute
{
    public string Name { get; private set; } = "";
    public long? Int { get; private set; }
    public float? Float { get; private set; }
    public string? String { get; private set; }
    public OnnxTensor? Tensor { get; private set; }
    public List<long> Ints { get; } = new();
    public List<float> Floats { get; } = new();

    public static OnnxAttribute Parse(ReadOnlySpan<byte> data, ResourceLimits limits)
    {
        var a = new OnnxAttribute();
        var r = new ProtoReader(data);
        while (r.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1 when wire == 2: a.Name = r.ReadString(); break;
                case 2 when wire == 5: a.Float = r.ReadFixedFloat(); break;
                case 3 when wire == 0: a.Int = r.ReadInt64(); break;
                case 4 when wire == 2: a.String = r.ReadString(); break;
                case 5 when wire == 2: a.Tensor = OnnxTensor.Parse(r.ReadBytes(), limits); break;
                case 7 when wire is 2 or 5: r.ReadFloats(wire, a.Floats); break;
                case 8 when wire is 0 or 2: r.ReadInt64s(wire, a.Ints); break;
                default: r.Skip(wire); break;
            }
        }
        return a;
    }
}

internal sealed class OnnxValueInfo
{
    public string Name { get; private set; } = "";

    /// <summary>Dimensions; −1 where the dimension is symbolic or absent.</summary>
    public List<long> Dims { get; } = new();

    public static OnnxValueInfo Parse(ReadOnlySpan<byte> data)
    {
        var info = new OnnxValueInfo();
        var r = new ProtoReader(data);
        while (r.Next(out int field, out int wire))
        {
            if (field == 1 && wire == 2) info.Name = r.ReadString();
            else if (field == 2 && wire == 2) ParseType(r.ReadBytes(), info.Dims);
            else r.Skip(wire);
        }
        return info;
    }

    private static void ParseType(ReadOnlySpan<byte> data, List<long> dims)
    {
        var type = new ProtoReader(data);
        while (type.Next(out int f, out int w))
        {
            if (f != 1 || w != 2) { type.Skip(w); continue; } // tensor_type
            var tensor = new ProtoReader(type.ReadBytes());
            while (tensor.Next(out int tf, out int tw))
            {
                if (tf != 2 || tw != 2) { tensor.Skip(tw); continue; } // shape
                var shape = new ProtoReader(tensor.ReadBytes());
                while (shape.Next(out int sf, out int sw))
                {
                    if (sf != 1 || sw != 2) { shape.Skip(sw); continue; } // dim
                    var dim = new ProtoReader(shape.ReadBytes());
                    long value = -1;
                    while (dim.Next(out int df, out int dw))
                    {
                        if (df == 1 && dw == 0) value = dim.ReadInt64();
                        else dim.Skip(dw);
                    }
                    dims.Add(value);
                }
            }
        }
    }
}

/// <summary>A TensorProto converted to fp32 (FLOAT, DOUBLE, FLOAT16, INT64, INT32 element types).</summary>
internal sealed class OnnxTensor
{
    public string Name { get; private set; } = "";
    public long[] Dims { get; private set; } = Array.Empty<long>();
    public int DataType { get; private set; }
    public float[] Values { get; private set; } = Array.Empty<float>();
    public long[]? Int64Values { get; private set; }
    public bool IsExternal { get; private set; }

    public static OnnxTensor Parse(ReadOnlySpan<byte> data, ResourceLimits limits)
    {
        var t = new OnnxTensor();
        var dims = new List<long>();
        var floats = new List<float>();
        var ints = new List<long>();
        var doubles = new List<double>();
        ReadOnlySpan<byte> raw = default;
        bool hasRaw = false;
        var r = new ProtoReader(data);
        while (r.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1 when wire is 0 or 2: r.ReadInt64s(wire, dims); break;
                case 2 when wire == 0: t.DataType = (int)r.ReadInt64(); break;
                case 4 when wire is 2 or 5: r.ReadFloats(wire, floats); break;
                case 5 when wire is 0 or 2: r.ReadInt64s(wire, ints); break; // int32_data (also FLOAT16 bits)
                case 7 when wire is 0 or 2: r.ReadInt64s(wire, ints); break; // int64_data
                case 8 when wire == 2: t.Name = r.ReadString(); break;
                case 9 when wire == 2: raw = r.ReadBytes(); hasRaw = true; break;
                case 10 when wire is 1 or 2:
                    if (wire == 1) doubles.Add(r.ReadFixedDouble());
                    else
                    {
                        var packed = r.ReadBytes();
                        for (int i = 0; i + 8 <= packed.Length; i += 8) doubles.Add(BinaryPrimitives.ReadDoubleLittleEndian(packed[i..]));
                    }
                    break;
                case 14 when wire == 0: t.IsExternal = r.ReadInt64() == 1; break;
                default: r.Skip(wire); break;
            }
        }
        t.Dims = dims.ToArray();
        // Dimensions become 32-bit tensor extents: one outside [0, 2^31) would be truncated into another shape.
        foreach (long d in dims)
            if (d < 0 || d > int.MaxValue)
                throw new InvalidDataException($"tensor '{t.Name}' has dimension {d} in [{string.Join(", ", dims)}]; expected 0..{int.MaxValue}");
        long count = limits.CheckProduct(ResourceLimits.TensorElements, dims.ToArray(), $"tensor '{t.Name}' element count");
        if (t.IsExternal) return t;
        t.Values = t.DataType switch
        {
            1 => hasRaw ? ElementDecoder.Decode("F32", raw) : floats.ToArray(),
            11 => hasRaw ? ElementDecoder.Decode("F64", raw) : doubles.Select(v => (float)v).ToArray(),
            10 => hasRaw ? ElementDecoder.Decode("F16", raw) : ints.Select(v => (float)BitConverter.UInt16BitsToHalf((ushort)v)).ToArray(),
            7 => hasRaw ? ElementDecoder.Decode("I64", raw) : ints.Select(v => (float)v).ToArray(),
            6 => hasRaw ? ElementDecoder.Decode("I32", raw) : ints.Select(v => (float)v).ToArray(),
            _ => throw new InvalidDataException($"tensor '{t.Name}' has unsupported element type {t.DataType}"),
        };
        if (t.Values.Length != count)
            throw new InvalidDataException($"tensor '{t.Name}' holds {t.Values.Length} values, its dims [{string.Join(", ", dims)}] need {count}");
        if (t.DataType == 7)
        {
            if (hasRaw)
            {
                var values = new long[raw.Length / 8];
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * i)..]);
                t.Int64Values = values;
            }
            else
            {
                t.Int64Values = ints.ToArray();
            }
        }
        return t;
    }
}
