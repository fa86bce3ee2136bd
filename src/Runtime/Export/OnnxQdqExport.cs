using System.Buffers.Binary;
using Ompq.Kernels;
using Ompq.Runtime.Inference;
using Ompq.Runtime.Io;
using Ompq.Runtime.Nn.Graph;

namespace Ompq.Runtime.Export;

/// <summary>
/// The quantized network as an ONNX model in QDQ form (opset 13), which ONNX Runtime runs with its own int8 kernels:
/// every conv/linear input goes through QuantizeLinear/DequantizeLinear on the layer's grid (uint8 for unsigned grids,
/// int8 for signed, zero point 0; a grid narrower than 8 bits is first clipped to its range); weights are int8
/// initializers (codes of any width 2..8 in an int8 container; the width and clamp range are in the initializer's
/// doc_string and the model's metadata) dequantized per output channel; biases are int32 on the scale
/// input·weight, as ONNX Runtime's QDQ fusion expects. Adds, pools and activations are the float ops between.
/// </summary>
public static class OnnxQdqExport
{
    private const int Float = 1, Uint8 = 2, Int8 = 3, Int32 = 6, Int64 = 7;

    public static void Write(string path, QuantizedNetwork network) => AtomicFile.Write(path, ToBytes(network));

    public static byte[] ToBytes(QuantizedNetwork network)
    {
        var graph = new ProtoWriter();
        var builder = new Builder(graph);
        var g = network.Graph;
        foreach (var node in g.Nodes) builder.Node(node, network);
        graph.String(2, network.Name);
        var (c, h, w) = network.InputShape;
        graph.Message(11, ValueInfo(g.InputName, new long[] { -1, c, h, w }));
        var shapes = InferShapes(network);
        var output = shapes[g.OutputId];
        graph.Message(12, ValueInfo(g.OutputName, new long[] { -1 }.Concat(output.Select(d => (long)d)).ToArray()));

        var model = new ProtoWriter()
            .Int(1, 7)
            .String(2, "ompq")
            .String(3, "1")
            .Message(7, graph)
            .Message(8, new ProtoWriter().String(1, "").Int(2, 13));
        foreach (var layer in network.Layers.Values.OrderBy(l => l.Name, StringComparer.Ordinal))
            model.Message(14, new ProtoWriter().String(1, $"ompq.weight_bits.{layer.Name}").String(2, layer.WeightBits.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        model.Message(14, new ProtoWriter().String(1, "ompq.source_model").String(2, network.Name));
        return model.ToArray();
    }

    private static int[][] InferShapes(QuantizedNetwork network)
    {
        using var reference = network.ToReferenceModel();
        var (c, h, w) = network.InputShape;
        return network.Graph.InferShapes(new[] { c, h, w }, reference.Parameters);
    }

    private static ProtoWriter ValueInfo(string name, long[] dims)
    {
        var shape = new ProtoWriter();
        foreach (long d in dims)
            shape.Message(1, d < 0 ? new ProtoWriter().String(2, "N") : new ProtoWriter().Int(1, d));
        var tensor = new ProtoWriter().Int(1, Float).Message(2, shape);
        return new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Message(1, tensor));
    }

    private sealed class Builder(ProtoWriter graph)
    {
        private int _count;

        private string Fresh(string stem) => $"{stem}_{_count++}";

        private void Emit(string op, string name, string[] inputs, string[] outputs, params ProtoWriter[] attributes)
        {
            var node = new ProtoWriter();
            foreach (var i in inputs) node.String(1, i);
            foreach (var o in outputs) node.String(2, o);
            node.String(3, name).String(4, op);
            foreach (var a in attributes) node.Message(5, a);
            graph.Message(1, node);
        }

        private static ProtoWriter IntsAttribute(string name, params long[] values) => new ProtoWriter().String(1, name).Ints(8, values).Int(20, 7);
        private static ProtoWriter IntAttribute(string name, long value) => new ProtoWriter().String(1, name).Int(3, value).Int(20, 2);

        private string Initializer(string name, int type, long[] dims, byte[] raw, string? doc = null)
        {
            var tensor = new ProtoWriter().Ints(1, dims).Int(2, type).String(8, name).Bytes(9, raw);
            if (doc is not null) tensor.String(12, doc);
            graph.Message(5, tensor);
            return name;
        }

        private string Floats(string name, float[] values, long[]? dims = null)
        {
            var raw = new byte[values.Length * 4];
            for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(4 * i), values[i]);
            return Initializer(name, Float, dims ?? new long[] { values.Length }, raw);
        }

        private string Scalar(string name, float value) => Floats(name, new[] { value }, Array.Empty<long>());

        /// <summary>x → Q → DQ on the layer's input grid (clipped first when narrower than its 8-bit container).</summary>
        private string QuantizeInput(string x, QuantizedLayer layer)
        {
            var a = layer.Input;
            string scale = Scalar($"{layer.Name}.input_scale", a.Scale);
            int type = a.Unsigned ? Uint8 : Int8;
            string zero = Initializer($"{layer.Name}.input_zero_point", type, Array.Empty<long>(), new byte[1]);
            string source = x;
            if (a.Bits < 8)
            {
                var grid = a.Grid;
                string clipped = Fresh($"{layer.Name}.input_clipped");
                Emit("Clip", Fresh("clip"), new[] { x, Scalar($"{layer.Name}.input_min", grid.QMin * a.Scale), Scalar($"{layer.Name}.input_max", grid.QMax * a.Scale) }, new[] { clipped });
                source = clipped;
            }
            string q = Fresh($"{layer.Name}.input_q"), dq = Fresh($"{layer.Name}.input_dq");
            Emit("QuantizeLinear", Fresh("quantize"), new[] { source, scale, zero }, new[] { q });
            Emit("DequantizeLinear", Fresh("dequantize"), new[] { q, scale, zero }, new[] { dq });
            return dq;
        }

        private (string Weight, string Bias) Weights(QuantizedLayer layer, long[] dims)
        {
            int k = layer.OutChannels;
            var codes = new byte[layer.Codes.Length];
            Buffer.BlockCopy(layer.Codes, 0, codes, 0, codes.Length);
            int low = -(1 << (layer.WeightBits - 1)), high = (1 << (layer.WeightBits - 1)) - 1;
            string w = Initializer($"{layer.Name}.weight_q", Int8, dims, codes, $"{layer.WeightBits}-bit codes in an int8 container, clamp range [{low}, {high}]");
            string ws = Floats($"{layer.Name}.weight_scale", layer.Scales);
            string wz = Initializer($"{layer.Name}.weight_zero_point", Int8, new long[] { k }, new byte[k]);
            string wdq = Fresh($"{layer.Name}.weight_dq");
            Emit("DequantizeLinear", Fresh("dequantize"), new[] { w, ws, wz }, new[] { wdq }, IntAttribute("axis", 0));
            var biasScale = new float[k];
            var biasCodes = new byte[4 * k];
            for (int o = 0; o < k; o++)
            {
                biasScale[o] = layer.Input.Scale * layer.Scales[o];
                double q = Math.Round(layer.Bias[o] / (double)biasScale[o], MidpointRounding.ToEven);
                BinaryPrimitives.WriteInt32LittleEndian(biasCodes.AsSpan(4 * o), (int)Math.Clamp(q, int.MinValue, int.MaxValue));
            }
            string b = Initializer($"{layer.Name}.bias_q", Int32, new long[] { k }, biasCodes);
            string bs = Floats($"{layer.Name}.bias_scale", biasScale);
            string bz = Initializer($"{layer.Name}.bias_zero_point", Int32, new long[] { k }, new byte[4 * k]);
            string bdq = Fresh($"{layer.Name}.bias_dq");
            Emit("DequantizeLinear", Fresh("dequantize"), new[] { b, bs, bz }, new[] { bdq }, IntAttribute("axis", 0));
            return (wdq, bdq);
        }

        private void Activate(Activation activation, string input, string output, string name)
        {
            switch (activation)
            {
                case Activation.Relu:
                    Emit("Relu", name, new[] { input }, new[] { output });
                    break;
                case Activation.Relu6:
                    Emit("Clip", name, new[] { input, Scalar(Fresh("zero"), 0f), Scalar(Fresh("six"), 6f) }, new[] { output });
                    break;
                default:
                    Emit("Identity", name, new[] { input }, new[] { output });
                    break;
            }
        }

        public void Node(GraphNode node, QuantizedNetwork network)
        {
            switch (node)
            {
                case ConvNode conv:
                {
                    var layer = network.Layers[conv.Name];
                    string x = QuantizeInput(conv.Inputs[0], layer);
                    var (w, b) = Weights(layer, layer.WeightShape.Select(d => (long)d).ToArray());
                    var g = conv.Geometry;
                    string y = conv.Activation == Activation.None ? conv.Output : Fresh($"{conv.Name}.linear");
                    Emit("Conv", conv.Name, new[] { x, w, b }, new[] { y },
                        IntsAttribute("kernel_shape", layer.WeightShape[2], layer.WeightShape[3]), IntsAttribute("strides", g.StrideH, g.StrideW),
                        IntsAttribute("pads", g.PadH, g.PadW, g.PadH, g.PadW), IntsAttribute("dilations", g.DilationH, g.DilationW), IntAttribute("group", g.Groups));
                    if (conv.Activation != Activation.None) Activate(conv.Activation, y, conv.Output, conv.Name + ".activation");
                    break;
                }
                case LinearNode linear:
                {
                    var layer = network.Layers[linear.Name];
                    string x = QuantizeInput(linear.Inputs[0], layer);
                    var (w, b) = Weights(layer, layer.WeightShape.Select(d => (long)d).ToArray());
                    string y = linear.Activation == Activation.None ? linear.Output : Fresh($"{linear.Name}.linear");
                    Emit("Gemm", linear.Name, new[] { x, w, b }, new[] { y }, IntAttribute("transB", 1));
                    if (linear.Activation != Activation.None) Activate(linear.Activation, y, linear.Output, linear.Name + ".activation");
                    break;
                }
                case AddNode add:
                {
                    string y = add.Activation == Activation.None ? add.Output : Fresh($"{add.Name}.sum");
                    Emit("Add", add.Name, new[] { add.Inputs[0], add.Inputs[1] }, new[] { y });
                    if (add.Activation != Activation.None) Activate(add.Activation, y, add.Output, add.Name + ".activation");
                    break;
                }
                case ActivationNode activation:
                    Activate(activation.Activation, activation.Inputs[0], activation.Output, activation.Name);
                    break;
                case PoolNode pool:
                {
                    var attributes = new List<ProtoWriter>
                    {
                        IntsAttribute("kernel_shape", pool.KernelH, pool.KernelW), IntsAttribute("strides", pool.StrideH, pool.StrideW),
                        IntsAttribute("pads", pool.PadH, pool.PadW, pool.PadH, pool.PadW),
                    };
                    if (pool.Pool == PoolKind.Average) attributes.Add(IntAttribute("count_include_pad", pool.CountIncludePad ? 1 : 0));
                    Emit(pool.Pool == PoolKind.Max ? "MaxPool" : "AveragePool", pool.Name, new[] { pool.Inputs[0] }, new[] { pool.Output }, attributes.ToArray());
                    break;
                }
                case GlobalAvgPoolNode gap:
                    Emit("GlobalAveragePool", gap.Name, new[] { gap.Inputs[0] }, new[] { gap.Output });
                    break;
                case ReshapeNode reshape:
                {
                    var shape = new long[] { 0 }.Concat(reshape.TargetShape.Select(d => (long)d)).ToArray();
                    var raw = new byte[8 * shape.Length];
                    for (int i = 0; i < shape.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(8 * i), shape[i]);
                    string target = Initializer(Fresh($"{reshape.Name}.shape"), Int64, new long[] { shape.Length }, raw);
                    Emit("Reshape", reshape.Name, new[] { reshape.Inputs[0], target }, new[] { reshape.Output });
                    break;
                }
                default:
                    throw new UnsupportedModelException($"{node.Kind} node '{node.Name}' has no ONNX QDQ export");
            }
        }
    }
}
