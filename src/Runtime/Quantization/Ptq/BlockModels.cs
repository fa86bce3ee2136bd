using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Quantization.Ptq;

/// <summary>
/// A <see cref="ReconstructionBlock"/> as a network of its own, reading the block's input value: run through the
/// model's inference path (<see cref="GraphModel.Forward"/> with a <see cref="QuantizationConfig"/>: exactly what
/// `ompq eval` computes for those layers), or, for training, with an <see cref="InputFakeQuantNode"/> in front of each
/// weight layer. Its parameters are copies: the source model is not changed through it.
/// </summary>
internal static class BlockModels
{
    /// <summary>The block's nodes as they are.</summary>
    public static GraphModel Inference(GraphModel model, ReconstructionBlock block)
        => Create(model, block, block.Nodes(model.Graph).ToList());

    /// <summary>The block with each weight layer reading its input through its own <see cref="InputFakeQuantNode"/> (returned by layer).</summary>
    public static (GraphModel Model, IReadOnlyDictionary<string, InputFakeQuantNode> InputQuantizers) Training(GraphModel model, ReconstructionBlock block)
    {
        var nodes = new List<GraphNode>();
        var quantizers = new Dictionary<string, InputFakeQuantNode>(StringComparer.Ordinal);
        foreach (var node in block.Nodes(model.Graph))
        {
            if (node is not WeightLayerNode layer)
            {
                nodes.Add(node);
                continue;
            }
            var quantizer = new InputFakeQuantNode($"{layer.Name}.input_quant", layer.Inputs[0], $"{layer.Name}.input_quant");
            quantizers[layer.Name] = quantizer;
            nodes.Add(quantizer);
            nodes.Add(Reading(layer, quantizer.Output));
        }
        return (Create(model, block, nodes), quantizers);
    }

    /// <summary>Per-image shape of the block's input value in <paramref name="model"/> at its own input size.</summary>
    public static int[] InputShape(GraphModel model, ReconstructionBlock block)
    {
        var (c, h, w) = model.InputShape;
        return model.Graph.InferShapes(new[] { c, h, w }, model.Parameters)[block.InputValue];
    }

    private static GraphModel Create(GraphModel model, ReconstructionBlock block, List<GraphNode> nodes)
    {
        var parameters = new ParameterStore();
        foreach (string name in nodes.SelectMany(n => n.ParameterNames).Distinct())
        {
            var source = model.Parameters[name];
            parameters.Add(name, new HostTensor((int[])source.Shape.Clone(), (float[])source.Data.Clone()));
        }
        var graph = new ModelGraph(model.Graph.ValueName(block.InputValue), nodes, model.Graph.ValueName(block.OutputValue));
        var shape = InputShape(model, block);
        // A vector input (after a flatten) is an F×1×1 map: linear layers read their input flat either way.
        var input = shape.Length switch
        {
            3 => (shape[0], shape[1], shape[2]),
            1 => (shape[0], 1, 1),
            _ => throw new InvalidInputException($"block '{block.Name}' reads a value of shape {HostTensor.FormatShape(shape)}; expected C×H×W or a vector"),
        };
        return new GraphModel($"{model.Name}/{block.Name}", graph, parameters, input,
            new Dictionary<SearchMode, IReadOnlyList<UnitSpec>>(), new Dictionary<SearchMode, IReadOnlyList<string>>());
    }

    /// <summary>The same layer reading another value.</summary>
    private static WeightLayerNode Reading(WeightLayerNode layer, string input) => layer switch
    {
        ConvNode c => new ConvNode(c.Name, input, c.Output, c.WeightName, c.BiasName, c.BatchNorm, c.Geometry, c.Activation),
        LinearNode l => new LinearNode(l.Name, input, l.Output, l.WeightName, l.BiasName, l.Activation),
        _ => throw new InvalidInputException($"{layer.Kind} layer '{layer.Name}' cannot be reconstructed (only conv and linear layers)"),
    };
}
