using Ompq.Kernels;
using Ompq.Runtime.Nn.Graph;
using TorchSharp;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Ompq.Tests.Training;

/// <summary>
/// Runs one of our <see cref="ModelGraph"/>s in TorchSharp with autograd (batch-norm in training mode): the reference
/// for a whole training step — logits, loss, every parameter's gradient and the running-statistics update.
/// </summary>
internal sealed class TorchGraphReference : IDisposable
{
    private readonly DisposeScope _scope = torch.NewDisposeScope();

    public TorchGraphReference(GraphModel model)
    {
        foreach (var name in model.Parameters.Names)
        {
            var host = model.Parameters[name];
            var t = torch.tensor(host.Data, host.Shape.Select(d => (long)d).ToArray());
            bool trainable = model.Graph.Nodes.Any(n => n.TrainableParameterNames.Contains(name));
            Tensors[name] = trainable ? t.requires_grad_(true) : t;
        }
        Model = model;
    }

    public GraphModel Model { get; }
    public Dictionary<string, TorchTensor> Tensors { get; } = new(StringComparer.Ordinal);

    /// <summary>Forward in training mode, cross-entropy with mean reduction, backward. Returns logits and loss.</summary>
    public (float[] Logits, float Loss) Step(float[] images, long[] shape, long[] labels)
    {
        var graph = Model.Graph;
        var values = new TorchTensor[graph.ValueCount];
        values[0] = torch.tensor(images, shape);
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            var inputs = node.Inputs.Select(n => values[graph.ValueId(n)]).ToArray();
            values[i + 1] = Run(node, inputs);
        }
        var logits = values[graph.ValueId(graph.OutputName)];
        logits = logits.reshape(logits.shape[0], -1);
        var loss = nn.functional.cross_entropy(logits, torch.tensor(labels));
        loss.backward();
        return (logits.detach().data<float>().ToArray(), loss.item<float>());
    }

    public float[] Gradient(string name) => Tensors[name].grad!.data<float>().ToArray();
    public float[] Value(string name) => Tensors[name].detach().data<float>().ToArray();

    private TorchTensor Run(GraphNode node, TorchTensor[] x) => node switch
    {
        ConvNode c => ConvBn(c, x[0]),
        LinearNode l => Act(nn.functional.linear(x[0].reshape(x[0].shape[0], -1), Tensors[l.WeightName], l.BiasName is null ? null : Tensors[l.BiasName]), l.Activation),
        AddNode a => Act(x[0] + x[1], a.Activation),
        ActivationNode a => Act(x[0], a.Activation),
        GlobalAvgPoolNode => x[0].mean(new long[] { 2, 3 }, keepdim: true),
        ReshapeNode => x[0].reshape(x[0].shape[0], -1),
        BatchNormNode b => Act(Bn(b.Params, x[0]), b.Activation),
        PoolNode p when p.Pool == PoolKind.Max => nn.functional.max_pool2d(x[0], new long[] { p.KernelH, p.KernelW }, new long[] { p.StrideH, p.StrideW }, new long[] { p.PadH, p.PadW }),
        PoolNode p => nn.functional.avg_pool2d(x[0], new long[] { p.KernelH, p.KernelW }, new long[] { p.StrideH, p.StrideW }, new long[] { p.PadH, p.PadW }, count_include_pad: p.CountIncludePad),
        _ => throw new NotSupportedException(node.Kind),
    };

    private TorchTensor ConvBn(ConvNode c, TorchTensor x)
    {
        var g = c.Geometry;
        var y = nn.functional.conv2d(x, Tensors[c.WeightName], c.BiasName is null ? null : Tensors[c.BiasName],
            new long[] { g.StrideH, g.StrideW }, new long[] { g.PadH, g.PadW }, new long[] { g.DilationH, g.DilationW }, g.Groups);
        if (c.BatchNorm is not null) y = Bn(c.BatchNorm, y);
        return Act(y, c.Activation);
    }

    private TorchTensor Bn(BatchNormParams p, TorchTensor x)
        => nn.functional.batch_norm(x, Tensors[p.RunningMean], Tensors[p.RunningVar], Tensors[p.Gamma], Tensors[p.Beta], training: true, momentum: 0.1, eps: p.Eps);

    private static TorchTensor Act(TorchTensor x, Activation a) => a switch
    {
        Activation.None => x,
        Activation.Relu => nn.functional.relu(x),
        Activation.Relu6 => nn.functional.relu6(x),
        _ => throw new NotSupportedException(a.ToString()),
    };

    public void Dispose() => _scope.Dispose();
}
