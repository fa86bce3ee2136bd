using Ompq.Runtime.Nn.Graph;

namespace Ompq.Bench;

/// <summary>
/// FLOPs of one training step, counting conv and linear layers only (2 FLOPs per multiply-accumulate):
///   forward  = 2·N·Σ MACs,
///   backward = 2·N·Σ MACs·(2 if the layer's input needs a gradient (data + weight gradient), else 1 (weight only)),
/// so step = 2·N·(3·Σ MACs − Σ MACs of layers reading the images). For resnet20 only the stem reads the images.
/// Batch-norm, activations, the loss and the optimizer are left out (memory-bound, a few FLOPs per element).
/// </summary>
public static class TrainingStepFlops
{
    public static (double Forward, double Step) Count(GraphModel model, int batch)
    {
        var graph = model.Graph;
        var (c, h, w) = model.InputShape;
        var shapes = graph.InferShapes(new[] { c, h, w }, model.Parameters);
        double forwardMacs = 0, stepMacs = 0;
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            if (node is not WeightLayerNode) continue;
            var inputIds = node.Inputs.Select(graph.ValueId).ToArray();
            double macs = node.Macs(inputIds.Select(id => shapes[id]).ToArray(), shapes[i + 1], model.Parameters);
            bool readsImages = inputIds.Contains(0);
            forwardMacs += macs;
            stepMacs += macs * (readsImages ? 2 : 3);
        }
        return (2.0 * batch * forwardMacs, 2.0 * batch * stepMacs);
    }
}
