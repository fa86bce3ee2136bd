using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Quantization;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Inference;

/// <summary>
/// A quantized model as exported: the batch-norm-free graph, and every conv/linear layer as a <see cref="QuantizedLayer"/>.
/// It is what the model file holds, what the integer engine compiles, and it rebuilds the fake-quantized
/// <see cref="GraphModel"/> the integer forward is tested against.
/// </summary>
public sealed class QuantizedNetwork
{
    public QuantizedNetwork(string name, ModelGraph graph, (int Channels, int Height, int Width) inputShape, IReadOnlyDictionary<string, QuantizedLayer> layers)
    {
        Name = name;
        Graph = graph;
        InputShape = inputShape;
        Layers = layers;
    }

    /// <summary>The source model's name (resnet20, resnet18, an ONNX file's model name).</summary>
    public string Name { get; }
    public ModelGraph Graph { get; }
    public (int Channels, int Height, int Width) InputShape { get; }
    public IReadOnlyDictionary<string, QuantizedLayer> Layers { get; }

    /// <summary>
    /// Takes a batch-norm-folded model whose every conv/linear layer has a weight width and an input grid
    /// (<see cref="GraphModel.Quantization"/>); throws <see cref="UnsupportedModelException"/> naming what is missing.
    /// </summary>
    public static QuantizedNetwork From(GraphModel model)
    {
        if (!model.IsBatchNormFolded) throw new UnsupportedModelException($"model '{model.Name}' still has batch-norms; fold them first (GraphModel.FoldBatchNorm)");
        var config = model.Quantization;
        var layers = new Dictionary<string, QuantizedLayer>(StringComparer.Ordinal);
        foreach (var node in model.WeightLayers)
        {
            var q = config.For(node.Name) ?? throw new UnsupportedModelException($"layer '{node.Name}' of '{model.Name}' has no weight width; integer inference quantizes every conv and linear layer");
            if (q.Input is null) throw new UnsupportedModelException($"layer '{node.Name}' of '{model.Name}' has no input activation grid; calibrate activations before export");
            var weight = model.Parameters[node.WeightName];
            int channels = weight.Shape[0];
            var (codes, scales) = QuantizedLayer.Quantize(weight.Data, channels, q.WeightBits, q.WeightScales);
            var bias = node.BiasName is null ? new float[channels] : (float[])model.Parameters[node.BiasName].Data.Clone();
            layers[node.Name] = new QuantizedLayer(node.Name, q.WeightBits, (int[])weight.Shape.Clone(), codes, scales, bias, q.Input);
        }
        return new QuantizedNetwork(model.Name, model.Graph, model.InputShape, layers);
    }

    /// <summary>
    /// The fake-quantized fp32 model of the same network: weights q·s_c with those scales fixed, inputs fake-quantized on
    /// the layers' grids — the reference the integer engine equals up to its documented rounding.
    /// </summary>
    public GraphModel ToReferenceModel()
    {
        var parameters = new ParameterStore();
        var config = new Dictionary<string, LayerQuantization>(StringComparer.Ordinal);
        foreach (var node in Graph.Nodes.OfType<WeightLayerNode>())
        {
            var layer = Layers[node.Name];
            parameters.Add(node.WeightName, new HostTensor((int[])layer.WeightShape.Clone(), layer.Dequantized()));
            if (node.BiasName is not null) parameters.Add(node.BiasName, new HostTensor(new[] { layer.OutChannels }, (float[])layer.Bias.Clone()));
            config[node.Name] = new LayerQuantization(layer.WeightBits, (float[])layer.Scales.Clone(), layer.Input);
        }
        var model = new GraphModel(Name, Graph, parameters, InputShape,
            new Dictionary<SearchMode, IReadOnlyList<UnitSpec>>(), new Dictionary<SearchMode, IReadOnlyList<string>>());
        model.SetQuantization(new QuantizationConfig(config));
        return model;
    }
}
