namespace Ompq.Tests.Io;

/// <summary>Writes small ONNX models (opset 13) for import tests; weights are seeded random.</summary>
internal sealed class OnnxGraphBuilder
{
    private readonly ProtoWriter _graph = new();
    private readonly Random _random;

    public OnnxGraphBuilder(int seed) => _random = new Random(seed);

    public void Input(string name, params long[] dims) => _graph.Message(11, v => ValueInfo(v, name, dims));

    /// <summary>An input whose every dimension is written as a value, negative ones included (a hostile file's view).</summary>
    public void InputValues(string name, params long[] dims) => _graph.Message(11, v => ValueInfo(v, name, dims, symbolicNegatives: false));

    public void Output(string name, params long[] dims) => _graph.Message(12, v => ValueInfo(v, name, dims));

    public string Initializer(string name, long[] dims, float[] values)
    {
        _graph.Message(5, t =>
        {
            t.Ints(1, dims);
            t.Varint(2, 1);
            t.String(8, name);
            var raw = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
            t.Bytes(9, raw);
        });
        return name;
    }

    /// <summary>An initializer of any element type (<paramref name="dataType"/> as in onnx.proto) from its raw little-endian bytes.</summary>
    public string RawInitializer(string name, long[] dims, int dataType, byte[] raw)
    {
        _graph.Message(5, t =>
        {
            t.Ints(1, dims);
            t.Varint(2, dataType);
            t.String(8, name);
            t.Bytes(9, raw);
        });
        return name;
    }

    public string Random(string name, long[] dims, float low, float high)
    {
        long count = dims.Aggregate(1L, (a, b) => a * b);
        var values = new float[count];
        for (long i = 0; i < count; i++) values[i] = low + (high - low) * _random.NextSingle();
        return Initializer(name, dims, values);
    }

    public void Node(string op, string name, string[] inputs, string[] outputs, Action<ProtoWriter>? attributes = null)
    {
        _graph.Message(1, n =>
        {
            foreach (var i in inputs) n.String(1, i);
            foreach (var o in outputs) n.String(2, o);
            n.String(3, name);
            n.String(4, op);
            attributes?.Invoke(n);
        });
    }

    public static Action<ProtoWriter> Ints(string name, params long[] values) => n => n.Message(5, a => { a.String(1, name); a.Ints(8, values); a.Varint(20, 7); });

    public static Action<ProtoWriter> Int(string name, long value) => n => n.Message(5, a => { a.String(1, name); a.Varint(3, value); a.Varint(20, 2); });

    public static Action<ProtoWriter> Domain(string domain) => n => n.String(7, domain);

    public static Action<ProtoWriter> All(params Action<ProtoWriter>[] attributes) => n => { foreach (var a in attributes) a(n); };

    /// <summary>Conv (with bias) + BatchNormalization with random statistics; returns the BN output name.</summary>
    public string ConvBn(string name, string input, int inChannels, int outChannels, int kernel, int stride, int pad)
    {
        var w = Random($"{name}.w", new long[] { outChannels, inChannels, kernel, kernel }, -0.3f, 0.3f);
        var b = Random($"{name}.b", new long[] { outChannels }, -0.1f, 0.1f);
        Node("Conv", name, new[] { input, w, b }, new[] { $"{name}.conv" },
            All(Ints("kernel_shape", kernel, kernel), Ints("strides", stride, stride), Ints("pads", pad, pad, pad, pad)));
        var c = new long[] { outChannels };
        var bnInputs = new[] { $"{name}.conv", Random($"{name}.g", c, 0.5f, 1.5f), Random($"{name}.beta", c, -0.2f, 0.2f),
            Random($"{name}.mean", c, -0.2f, 0.2f), Random($"{name}.var", c, 0.5f, 1.5f) };
        Node("BatchNormalization", $"{name}.bn", bnInputs, new[] { $"{name}.bnout" });
        return $"{name}.bnout";
    }

    public byte[] Build()
    {
        var model = new ProtoWriter();
        model.Varint(1, 7);
        model.String(2, "ompq-test");
        model.Message(8, o => o.Varint(2, 13));
        var graph = _graph.ToArray();
        model.Message(7, g => g.Raw(graph));
        return model.ToArray();
    }

    private static void ValueInfo(ProtoWriter v, string name, long[] dims, bool symbolicNegatives = true)
    {
        v.String(1, name);
        v.Message(2, type => type.Message(1, tensor =>
        {
            tensor.Varint(1, 1);
            tensor.Message(2, shape =>
            {
                foreach (long d in dims)
                    shape.Message(1, dim => { if (d < 0 && symbolicNegatives) dim.String(2, "N"); else dim.Varint(1, d); });
            });
        }));
    }
}
