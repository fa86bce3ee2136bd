using Ompq.Kernels;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Io.Onnx;

/// <summary>
/// Imports an ONNX CNN (Conv, BatchNormalization, Relu, Clip 0..6, MaxPool, AveragePool, GlobalAveragePool, Add,
/// Gemm, MatMul, Flatten, Reshape) as a <see cref="GraphModel"/>: batch-norms and activations are fused into the
/// producing conv/add, values keep their ONNX names. Units: residual blocks detected from the graph
/// (<see cref="ResidualUnitDetector"/>); PTQ adds the stem conv and a final linear layer at 8 bits; QAT keeps them fixed.
/// </summary>
public static class OnnxImporter
{
    /// <param name="path">The .onnx file (weights inside the file; external data is not supported).</param>
    /// <param name="inputSize">Square input side; default from the graph input's declared H×W.</param>
    /// <param name="limits">What the file may ask for (nodes, tensor sizes, scratch); <see cref="ResourceLimits.Default"/> when null.</param>
    public static GraphModel Load(string path, int? inputSize = null, ResourceLimits? limits = null)
    {
        limits ??= ResourceLimits.Default;
        try
        {
            byte[] bytes = InputFile.ReadAllBytes(path, limits, path);
            OnnxModel model;
            try { model = OnnxModel.Parse(bytes, limits); }
            catch (InvalidDataException e) { throw new InvalidInputException($"{path}: not a valid ONNX model ({PrintableText.Of(e.Message)})", e); }
            return new Translation(model, path, inputSize, limits).Build();
        }
        catch (InvalidInputException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            // Graph, shape and limit checks name the node or tensor; add the file.
            string message = $"{path}: {e.Message}";
            throw new InvalidInputException(message, e) { ResourceLimit = e.ResourceLimit };
        }
    }

    private sealed class Translation
    {
        private readonly OnnxModel _model;
        private readonly string _path;
        private readonly Dictionary<string, OnnxTensor> _constants = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _consumers = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int[]> _shapes = new(StringComparer.Ordinal);
        private readonly List<GraphNode> _nodes = new();
        private readonly ParameterStore _parameters = new();
        private readonly (int C, int H, int W) _input;
        private readonly string _inputName;
        private readonly long _declaredBatch;
        private readonly ResourceLimits _limits;
        // The first non-Constant node reading each value, indexed once: a scan per fused node made import quadratic.
        private readonly Dictionary<string, OnnxNode> _firstReader = new(StringComparer.Ordinal);

        public Translation(OnnxModel model, string path, int? inputSize, ResourceLimits limits)
        {
            _model = model;
            _path = path;
            _limits = limits;
            var graph = model.Graph;
            foreach (var t in graph.Initializers) _constants[t.Name] = t;
            foreach (var n in graph.Nodes)
                if (n.OpType == "Constant" && n.Outputs.Count == 1 && n.Attributes.TryGetValue("value", out var a) && a.Tensor is { } t)
                    _constants[n.Outputs[0]] = t;
            foreach (var n in graph.Nodes) foreach (var i in n.Inputs) _consumers[i] = _consumers.GetValueOrDefault(i) + 1;
            foreach (var o in graph.Outputs) _consumers[o.Name] = _consumers.GetValueOrDefault(o.Name) + 1;

            var inputs = graph.Inputs.Where(i => !_constants.ContainsKey(i.Name)).ToList();
            if (inputs.Count != 1) throw Error($"expected one image input, found {inputs.Count}");
            var dims = inputs[0].Dims;
            string inputName = inputs[0].Name;
            if (dims.Count != 4 || dims[1] <= 0)
                throw Error($"input '{inputName}' must be N×C×H×W with a known C, got [{string.Join(", ", dims)}]");
            // Dimensions as the file declares them (int64; −1 marks a symbolic one): checked before any becomes an int.
            foreach (long d in dims)
                if (d < -1 || d > int.MaxValue)
                    throw Error($"input '{inputName}' has dimension {d} in [{string.Join(", ", dims)}]; expected 1..{int.MaxValue} (or symbolic)");
            long h = inputSize ?? dims[2], w = inputSize ?? dims[3];
            if (h <= 0 || w <= 0) throw Error($"input '{inputName}' has no fixed H×W; pass an input size");
            limits.CheckProduct(ResourceLimits.ImagePixels, [h, w], $"input '{inputName}' H×W");
            limits.CheckProduct(ResourceLimits.TensorElements, [dims[1], h, w], $"input '{inputName}' C×H×W per image");
            _inputName = inputName;
            _input = ((int)dims[1], (int)h, (int)w);
            _declaredBatch = dims[0];
            _shapes[_inputName] = new[] { _input.C, _input.H, _input.W };
            foreach (var n in graph.Nodes)
                if (n.OpType != "Constant")
                    foreach (var i in n.Inputs)
                        _firstReader.TryAdd(i, n);
            if (graph.Outputs.Count != 1) throw Error($"expected one graph output, found {graph.Outputs.Count}");
        }

        public GraphModel Build()
        {
            var onnxNodes = _model.Graph.Nodes.Where(n => n.OpType != "Constant").ToList();
            var consumed = new HashSet<OnnxNode>();
            var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
            string Resolve(string name) => aliases.TryGetValue(name, out var a) ? a : name;

            for (int i = 0; i < onnxNodes.Count; i++)
            {
                var node = onnxNodes[i];
                if (consumed.Contains(node)) continue;
                if (!IsStandardDomain(node))
                    throw NodeError(node, $"operator domain '{node.Domain}' is not supported");
                CheckArity(node);
                switch (node.OpType)
                {
                    case "Conv": TranslateConv(node, onnxNodes, consumed, Resolve); break;
                    case "BatchNormalization":
                    {
                        var bn = BatchNorm(node);
                        var (act, last) = FuseActivation(node.Outputs[0], onnxNodes, consumed);
                        Emit(new BatchNormNode(node.Name, Resolve(node.Inputs[0]), last, bn, act));
                        break;
                    }
                    case "Relu":
                        Emit(new ActivationNode(node.Name, Resolve(node.Inputs[0]), node.Outputs[0], Activation.Relu));
                        break;
                    case "Clip":
                        Emit(new ActivationNode(node.Name, Resolve(node.Inputs[0]), node.Outputs[0], ClipActivation(node)));
                        break;
                    case "Add":
                    {
                        if (node.Inputs.Any(_constants.ContainsKey))
                            throw NodeError(node, "Add with a constant operand is not supported (only tensor + tensor)");
                        var (act, last) = FuseActivation(node.Outputs[0], onnxNodes, consumed);
                        Emit(new AddNode(node.Name, Resolve(node.Inputs[0]), Resolve(node.Inputs[1]), last, act));
                        break;
                    }
                    case "MaxPool":
                    case "AveragePool":
                        TranslatePool(node, Resolve(node.Inputs[0]));
                        break;
                    case "GlobalAveragePool":
                        Emit(new GlobalAvgPoolNode(node.Name, Resolve(node.Inputs[0]), node.Outputs[0]));
                        break;
                    case "Flatten":
                        if (node.Int("axis", 1) != 1) throw NodeError(node, $"Flatten axis {node.Int("axis", 1)} is not supported (only 1)");
                        Emit(ReshapeNode.Flatten(node.Name, Resolve(node.Inputs[0]), node.Outputs[0]));
                        break;
                    case "Reshape": TranslateReshape(node, Resolve(node.Inputs[0])); break;
                    case "Gemm": TranslateGemm(node, Resolve(node.Inputs[0])); break;
                    case "MatMul": TranslateMatMul(node, Resolve(node.Inputs[0])); break;
                    default:
                        throw NodeError(node, $"operator {node.OpType} is not supported (supported: Conv, BatchNormalization, Relu, Clip, MaxPool, AveragePool, GlobalAveragePool, Add, Gemm, MatMul, Flatten, Reshape)");
                }
            }

            if (!_nodes.OfType<WeightLayerNode>().Any())
                throw Error("the graph has no Conv, Gemm or MatMul layer; expected a network with weights to quantize");
            string output = Resolve(_model.Graph.Outputs[0].Name);
            var graph = new ModelGraph(_inputName, _nodes, output);
            var (units, fixedLayers, ptq) = Units(graph);
            string name = Path.GetFileNameWithoutExtension(_path);
            return new GraphModel(name, graph, _parameters, _input,
                new Dictionary<SearchMode, IReadOnlyList<UnitSpec>> { [SearchMode.Qat] = units, [SearchMode.Ptq] = ptq },
                new Dictionary<SearchMode, IReadOnlyList<string>> { [SearchMode.Qat] = fixedLayers, [SearchMode.Ptq] = Array.Empty<string>() });
        }

        private static readonly Dictionary<string, int> RequiredInputs = new(StringComparer.Ordinal)
        {
            ["Conv"] = 2, ["BatchNormalization"] = 5, ["Relu"] = 1, ["Clip"] = 1, ["Add"] = 2, ["MaxPool"] = 1,
            ["AveragePool"] = 1, ["GlobalAveragePool"] = 1, ["Flatten"] = 1, ["Reshape"] = 1, ["Gemm"] = 2, ["MatMul"] = 2,
        };

        private void CheckArity(OnnxNode node)
        {
            if (!RequiredInputs.TryGetValue(node.OpType, out int inputs)) return; // unsupported ops are reported by the caller
            if (node.Inputs.Count < inputs || node.Inputs.Take(inputs).Any(i => i.Length == 0))
                throw NodeError(node, $"{node.OpType} needs {inputs} input(s), got {node.Inputs.Count(i => i.Length > 0)}");
            if (node.Outputs.Count == 0 || node.Outputs[0].Length == 0) throw NodeError(node, $"{node.OpType} has no output");
        }

        /// <summary>A two-element (height, width) attribute such as strides; <paramref name="fallback"/> when absent.</summary>
        private List<long> Pair(OnnxNode node, string name, long fallback)
        {
            var values = node.Ints(name) ?? new List<long> { fallback, fallback };
            if (values.Count != 2 || values.Any(v => v <= 0 || v > 1 << 16))
                throw NodeError(node, $"attribute {name} must hold two positive values, got [{string.Join(", ", values)}]");
            return values;
        }

        private (List<UnitSpec> Qat, List<string> Fixed, List<UnitSpec> Ptq) Units(ModelGraph graph)
        {
            var (blocks, covered) = ResidualUnitDetector.Detect(graph);
            var weightLayers = graph.Nodes.OfType<WeightLayerNode>().ToList();
            var stem = weightLayers.FirstOrDefault(n => n is ConvNode && !covered.Contains(n.Name));
            var classifier = weightLayers.LastOrDefault(n => n is LinearNode);
            var qat = new List<UnitSpec>(blocks);
            // Convs outside residual blocks (other than the stem) become units of their own, captured at their output.
            foreach (var layer in weightLayers)
                if (layer != stem && layer != classifier && !covered.Contains(layer.Name))
                    qat.Add(new UnitSpec(layer.Output, layer.Output, new[] { layer.Name }));
            var fixedLayers = new[] { stem, classifier }.Where(n => n is not null).Select(n => n!.Name).ToList();
            var ptq = new List<UnitSpec>();
            if (stem is not null) ptq.Add(new UnitSpec(stem.Output, stem.Output, new[] { stem.Name }, 8));
            ptq.AddRange(qat);
            if (classifier is not null) ptq.Add(new UnitSpec(classifier.Output, classifier.Output, new[] { classifier.Name }, 8));
            return (qat, fixedLayers, ptq);
        }

        private void TranslateConv(OnnxNode node, List<OnnxNode> nodes, HashSet<OnnxNode> consumed, Func<string, string> resolve)
        {
            if (node.Inputs.Count < 2) throw NodeError(node, "Conv needs an input and a weight");
            string weight = Parameter(node, node.Inputs[1], 4);
            string? bias = node.Inputs.Count > 2 && node.Inputs[2].Length > 0 ? Parameter(node, node.Inputs[2], 1) : null;
            var w = _parameters[weight].Shape;
            var x = InputShape(node, resolve(node.Inputs[0]), 3);
            var kernel = node.Ints("kernel_shape");
            if (kernel is not null && (kernel.Count != 2 || kernel[0] != w[2] || kernel[1] != w[3]))
                throw NodeError(node, $"kernel_shape [{string.Join(", ", kernel)}] does not match weight {HostTensor.FormatShape(w)}");
            var strides = Pair(node, "strides", 1);
            var dilations = Pair(node, "dilations", 1);
            long groupAttribute = node.Int("group", 1);
            if (groupAttribute <= 0 || groupAttribute > x[0]) throw NodeError(node, $"group {groupAttribute} is invalid for {x[0]} input channels");
            int groups = (int)groupAttribute;
            var (padH, padW) = SymmetricPads(node, x, w[2], w[3], (int)strides[0], (int)strides[1], (int)dilations[0], (int)dilations[1]);
            var geometry = new ConvGeometry((int)strides[0], (int)strides[1], padH, padW, (int)dilations[0], (int)dilations[1], groups);

            string output = node.Outputs[0];
            BatchNormParams? bn = null;
            if (SingleConsumer(output, nodes, consumed) is { OpType: "BatchNormalization" } bnNode && IsStandardDomain(bnNode) && bnNode.Inputs[0] == output)
            {
                bn = BatchNorm(bnNode);
                consumed.Add(bnNode);
                output = bnNode.Outputs[0];
            }
            var (act, last) = FuseActivation(output, nodes, consumed);
            Emit(new ConvNode(node.Name, resolve(node.Inputs[0]), last, weight, bias, bn, geometry, act));
        }

        /// <summary>
        /// ONNX pads are [top, left, bottom, right]. Our kernels pad symmetrically; a smaller end pad is equivalent
        /// when the output size is the same (the extra end padding would never be read).
        /// </summary>
        private (int PadH, int PadW) SymmetricPads(OnnxNode node, int[] x, int kh, int kw, int sh, int sw, int dh, int dw)
        {
            string autoPad = node.String("auto_pad") ?? "NOTSET";
            var pads = node.Ints("pads") ?? new List<long> { 0, 0, 0, 0 };
            if (autoPad is "SAME_UPPER" or "SAME_LOWER")
            {
                // In 64-bit: (k − 1)·d wraps in 32-bit for a large kernel and dilation.
                static long total(int size, int k, int s, int d) => Math.Max(((size + (long)s - 1) / s - 1) * s + (long)(k - 1) * d + 1 - size, 0);
                long th = total(x[1], kh, sh, dh), tw = total(x[2], kw, sw, dw);
                pads = autoPad == "SAME_UPPER"
                    ? new List<long> { th / 2, tw / 2, th - th / 2, tw - tw / 2 }
                    : new List<long> { th - th / 2, tw - tw / 2, th / 2, tw / 2 };
            }
            else if (autoPad == "VALID") pads = new List<long> { 0, 0, 0, 0 };
            else if (autoPad is not ("NOTSET" or "")) throw NodeError(node, $"auto_pad {autoPad} is not supported");
            if (pads.Count != 4 || pads.Any(p => p < 0 || p > 1 << 16)) throw NodeError(node, $"pads must be 4 non-negative values, got [{string.Join(", ", pads)}]");
            int Axis(int size, int k, int s, int d, long begin, long end, string axis)
            {
                if (begin == end) return (int)begin;
                long extent = (long)d * (k - 1) + 1;
                long asymmetric = (size + begin + end - extent) / s + 1;
                long symmetric = (size + 2 * begin - extent) / s + 1;
                if (end < begin && asymmetric == symmetric) return (int)begin;
                throw NodeError(node, $"asymmetric {axis} padding ({begin} before, {end} after) cannot be run with symmetric padding for input size {size}");
            }
            return (Axis(x[1], kh, sh, dh, pads[0], pads[2], "height"), Axis(x[2], kw, sw, dw, pads[1], pads[3], "width"));
        }

        private void TranslatePool(OnnxNode node, string input)
        {
            var x = InputShape(node, input, 3);
            var kernel = Pair(node, "kernel_shape", 0);
            if (node.Int("ceil_mode", 0) != 0) throw NodeError(node, "ceil_mode=1 is not supported");
            if (node.Ints("dilations") is { } d && d.Any(v => v != 1)) throw NodeError(node, "dilated pooling is not supported");
            if (node.Int("storage_order", 0) != 0) throw NodeError(node, "storage_order=1 is not supported");
            var strides = Pair(node, "strides", 1);
            var (padH, padW) = SymmetricPads(node, x, (int)kernel[0], (int)kernel[1], (int)strides[0], (int)strides[1], 1, 1);
            bool max = node.OpType == "MaxPool";
            if (node.Outputs.Count > 1 && node.Outputs[1].Length > 0) throw NodeError(node, "MaxPool indices output is not supported");
            Emit(new PoolNode(node.Name, input, node.Outputs[0], max ? PoolKind.Max : PoolKind.Average, (int)kernel[0], (int)kernel[1],
                (int)strides[0], (int)strides[1], padH, padW, countIncludePad: node.Int("count_include_pad", 0) != 0));
        }

        private void TranslateReshape(OnnxNode node, string input)
        {
            long[]? target = null;
            if (node.Inputs.Count > 1 && _constants.TryGetValue(node.Inputs[1], out var shapeTensor)) target = shapeTensor.Int64Values;
            else if (node.Ints("shape") is { } attr) target = attr.ToArray();
            if (target is null || target.Length == 0) throw NodeError(node, "Reshape needs a constant shape");
            var x = InputShape(node, input, -1);
            // Values as the file declares them: 0 copies an axis, −1 is inferred (once), anything else is a positive extent.
            foreach (long v in target)
                if (v < -1 || v > int.MaxValue)
                    throw NodeError(node, $"Reshape target [{string.Join(", ", target)}] holds {v}; expected 0 (copy), -1 (infer) or 1..{int.MaxValue}");
            if (target.Count(v => v == -1) > 1) throw NodeError(node, $"Reshape target [{string.Join(", ", target)}] has more than one inferred (-1) axis");
            // The first axis is the batch: 0 (copy), -1 or the declared batch size.
            if (!(target[0] == 0 || target[0] == -1 || target[0] == _declaredBatch))
                throw NodeError(node, $"Reshape to [{string.Join(", ", target)}] changes the batch axis");
            var perImage = target.Skip(1).Select((v, i) => v == 0 ? (i < x.Length ? x[i] : throw NodeError(node, "Reshape 0 copies a missing axis")) : (int)v).ToArray();
            if (perImage.Length == 0) throw NodeError(node, "Reshape must keep a per-image axis");
            Emit(new ReshapeNode(node.Name, input, node.Outputs[0], perImage));
        }

        private void TranslateGemm(OnnxNode node, string input)
        {
            if (node.Int("transA", 0) != 0) throw NodeError(node, "Gemm with transA=1 is not supported");
            float alpha = node.Float("alpha", 1f), beta = node.Float("beta", 1f);
            var b = Constant(node, node.Inputs[1]);
            if (b.Dims.Length != 2) throw NodeError(node, $"Gemm weight '{b.Name}' must be 2-D");
            bool transB = node.Int("transB", 0) != 0;
            int outFeatures = (int)(transB ? b.Dims[0] : b.Dims[1]);
            int inFeatures = (int)(transB ? b.Dims[1] : b.Dims[0]);
            var weight = transB ? (float[])b.Values.Clone() : Transpose(b.Values, inFeatures, outFeatures);
            if (alpha != 1f) for (int i = 0; i < weight.Length; i++) weight[i] *= alpha;
            string weightName = AddDerived(transB && alpha == 1f ? b.Name : $"{b.Name}.linear_weight", new[] { outFeatures, inFeatures }, weight);
            string? biasName = null;
            if (node.Inputs.Count > 2 && node.Inputs[2].Length > 0)
            {
                var c = Constant(node, node.Inputs[2]);
                if (c.Values.Length != outFeatures) throw NodeError(node, $"Gemm bias '{c.Name}' must hold {outFeatures} values (per-output broadcast only)");
                var bias = c.Values.Select(v => v * beta).ToArray();
                biasName = AddDerived(beta == 1f && c.Dims.Length == 1 ? c.Name : $"{c.Name}.linear_bias", new[] { outFeatures }, bias);
            }
            var (act, last) = (Activation.None, node.Outputs[0]);
            Emit(new LinearNode(node.Name, input, last, weightName, biasName, act));
        }

        private void TranslateMatMul(OnnxNode node, string input)
        {
            var b = Constant(node, node.Inputs[1]);
            if (b.Dims.Length != 2) throw NodeError(node, $"MatMul weight '{b.Name}' must be 2-D");
            int inFeatures = (int)b.Dims[0], outFeatures = (int)b.Dims[1];
            string weightName = AddDerived($"{b.Name}.linear_weight", new[] { outFeatures, inFeatures }, Transpose(b.Values, inFeatures, outFeatures));
            Emit(new LinearNode(node.Name, input, node.Outputs[0], weightName, null));
        }

        private static float[] Transpose(float[] values, int rows, int cols)
        {
            var t = new float[values.Length];
            for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = values[r * cols + c];
            return t;
        }

        private BatchNormParams BatchNorm(OnnxNode node)
        {
            if (node.Inputs.Count != 5) throw NodeError(node, "BatchNormalization needs X, scale, B, mean, var");
            if (node.Int("spatial", 1) != 1) throw NodeError(node, "BatchNormalization with spatial=0 is not supported");
            if (node.Outputs.Count > 1 && node.Outputs.Skip(1).Any(o => o.Length > 0))
                throw NodeError(node, "training-mode BatchNormalization outputs are not supported");
            var names = node.Inputs.Skip(1).Select(n => Parameter(node, n, 1)).ToArray();
            return new BatchNormParams(names[0], names[1], names[2], names[3], node.Float("epsilon", 1e-5f));
        }

        /// <summary>Fuses a Relu or Clip(0, 6) that is the only reader of <paramref name="value"/>.</summary>
        private (Activation, string) FuseActivation(string value, List<OnnxNode> nodes, HashSet<OnnxNode> consumed)
        {
            if (SingleConsumer(value, nodes, consumed) is { } next && next.Inputs.Count > 0 && next.Inputs[0] == value
                && IsStandardDomain(next) && (next.OpType == "Relu" || next.OpType == "Clip"))
            {
                var activation = next.OpType == "Relu" ? Activation.Relu : ClipActivation(next);
                consumed.Add(next);
                return (activation, next.Outputs[0]);
            }
            return (Activation.None, value);
        }

        private Activation ClipActivation(OnnxNode node)
        {
            float min = node.Float("min", float.NegativeInfinity), max = node.Float("max", float.PositiveInfinity);
            if (node.Inputs.Count > 1 && node.Inputs[1].Length > 0) min = Scalar(node, node.Inputs[1], "min");
            if (node.Inputs.Count > 2 && node.Inputs[2].Length > 0) max = Scalar(node, node.Inputs[2], "max");
            if (min == 0f && max == 6f) return Activation.Relu6;
            if (min == 0f && float.IsPositiveInfinity(max)) return Activation.Relu;
            throw NodeError(node, $"Clip to [{min}, {max}] is not supported (only [0, 6] = ReLU6)");
        }

        private float Scalar(OnnxNode node, string name, string role)
        {
            var values = Constant(node, name).Values;
            return values.Length == 1 ? values[0] : throw NodeError(node, $"{role} bound '{name}' holds {values.Length} values; expected one");
        }

        private static bool IsStandardDomain(OnnxNode node) => node.Domain is "" or "ai.onnx";

        private OnnxNode? SingleConsumer(string value, List<OnnxNode> nodes, HashSet<OnnxNode> consumed)
        {
            if (_consumers.GetValueOrDefault(value) != 1) return null;
            var reader = _firstReader.GetValueOrDefault(value);
            if (reader is null || consumed.Contains(reader)) return null;
            CheckArity(reader);
            return reader;
        }

        private string Parameter(OnnxNode node, string name, int rank)
        {
            var t = Constant(node, name);
            if (t.Dims.Length != rank) throw NodeError(node, $"tensor '{name}' must have rank {rank}, got [{string.Join(", ", t.Dims)}]");
            if (!_parameters.Contains(name)) _parameters.Add(name, new HostTensor(t.Dims.Select(d => (int)d).ToArray(), t.Values));
            return name;
        }

        private string AddDerived(string name, int[] shape, float[] values)
        {
            if (!_parameters.Contains(name)) _parameters.Add(name, new HostTensor(shape, values));
            return name;
        }

        private OnnxTensor Constant(OnnxNode node, string name)
        {
            if (!_constants.TryGetValue(name, out var t))
                throw NodeError(node, $"input '{name}' must be an initializer or constant");
            if (t.IsExternal) throw NodeError(node, $"tensor '{name}' uses external data, which is not supported");
            return t;
        }

        private int[] InputShape(OnnxNode node, string value, int rank)
        {
            if (!_shapes.TryGetValue(value, out var shape)) throw NodeError(node, $"input '{value}' is not produced by an earlier node");
            if (rank > 0 && shape.Length != rank) throw NodeError(node, $"expects a rank-{rank + 1} input, '{value}' is {HostTensor.FormatShape(shape)} per image");
            return shape;
        }

        private void Emit(GraphNode node)
        {
            var inputs = node.Inputs.Select(i => _shapes.TryGetValue(i, out var s)
                ? s
                : throw Error($"{node.Kind} node '{node.Name}' reads '{i}', which no earlier node produces")).ToArray();
            foreach (var p in node.ParameterNames)
                if (!_parameters.Contains(p)) throw Error($"{node.Kind} node '{node.Name}' needs '{p}'");
            var shape = node.InferShape(inputs, _parameters);
            CheckResources(node, inputs, shape);
            _shapes[node.Output] = shape;
            _nodes.Add(node);
        }

        /// <summary>What the node's output and kernel would cost per image, against the limits, before anything is allocated.</summary>
        private void CheckResources(GraphNode node, int[][] inputs, int[] output)
        {
            string what = $"{node.Kind} node '{node.Name}'";
            _limits.CheckProduct(ResourceLimits.TensorElements, output.Select(d => (long)d).ToArray(), $"{what} output {HostTensor.FormatShape(output)} per image");
            (long taps, long scratch) = node switch
            {
                ConvNode conv when inputs[0] is [var c, var h, var w] => Window(conv.ShapeFor(1, c, h, w, _parameters)),
                PoolNode pool when inputs[0] is [var c, var h, var w] => Window(pool.ShapeFor(1, c, h, w)),
                _ => (0, 0),
            };
            _limits.Check(ResourceLimits.WindowTaps, taps, $"{what} window taps per output");
            _limits.Check(ResourceLimits.ScratchBytes, scratch, $"{what} padded scratch plane in bytes");
        }

        private static (long Taps, long ScratchBytes) Window(Conv2dShape s) => (s.WindowTaps, s.IsDepthwise ? 4 * s.PaddedPlaneElements : 0);

        private static (long Taps, long ScratchBytes) Window(Pool2dShape s) => (s.WindowTaps, 4 * s.PaddedPlaneElements);

        private InvalidInputException Error(string what) => new($"{_path}: {what}");

        private InvalidInputException NodeError(OnnxNode node, string what) => new($"{_path}: node '{node.Name}' ({node.OpType}): {what}");
    }
}
