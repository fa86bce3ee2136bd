using Ompq.Kernels;
using Ompq.Runtime.Nn.Graph;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Ompq.Benchmarking;

/// <summary>
/// One of our <see cref="ModelGraph"/>s interpreted node by node in TorchSharp with autograd and batch-norm in training
/// mode, on a copy of the model's parameters: the libtorch side of the training-step benchmark and the reference of
/// the whole-step tests. Trainable tensors are <see cref="Parameter"/>s so torch.optim can update them.
/// </summary>
public sealed class TorchGraphNetwork : IDisposable
{
    private readonly Func<WeightLayerNode, TorchTensor, TorchTensor>? _weightTransform;
    private readonly bool _batchStatistics;

    /// <param name="weightTransform">
    /// What a conv or linear layer computes with instead of its weight parameter (e.g. a fake-quantized copy for
    /// quantization-aware training, built from the parameter so autograd reaches it); null uses the parameter itself.
    /// </param>
    /// <param name="batchStatistics">Batch-norm in training mode (default) or, when false, on the running statistics (eval mode).</param>
    public TorchGraphNetwork(GraphModel model, Func<WeightLayerNode, TorchTensor, TorchTensor>? weightTransform = null, bool batchStatistics = true)
    {
        Model = model;
        _weightTransform = weightTransform;
        _batchStatistics = batchStatistics;
        var trainable = new HashSet<string>(model.Graph.Nodes.SelectMany(n => n.TrainableParameterNames), StringComparer.Ordinal);
        foreach (var name in model.Parameters.Names)
        {
            var host = model.Parameters[name];
            var t = torch.tensor(host.Data, host.Shape.Select(d => (long)d).ToArray());
            if (trainable.Contains(name))
            {
                var parameter = new Parameter(t, requires_grad: true);
                TrainableParameters.Add(parameter);
                Tensors[name] = parameter;
            }
            else
            {
                Tensors[name] = t;
            }
        }
    }

    public GraphModel Model { get; }

    /// <summary>Every parameter by its name in the model's store (running statistics included).</summary>
    public Dictionary<string, TorchTensor> Tensors { get; } = new(StringComparer.Ordinal);

    /// <summary>The tensors with gradients, in the store's order.</summary>
    public List<Parameter> TrainableParameters { get; } = new();

    /// <summary>Forward (batch-norm as the constructor chose: batch statistics with a running-statistics update, or running statistics); returns batch × classes logits.</summary>
    public TorchTensor Forward(TorchTensor images)
    {
        var graph = Model.Graph;
        var values = new TorchTensor[graph.ValueCount];
        values[0] = images;
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            var inputs = node.Inputs.Select(n => values[graph.ValueId(n)]).ToArray();
            values[i + 1] = Run(node, inputs);
        }
        var logits = values[graph.ValueId(graph.OutputName)];
        return logits.reshape(logits.shape[0], -1);
    }

    /// <summary>
    /// Forward for inference (call it under torch.no_grad): hands every graph value to <paramref name="onValue"/> as
    /// it is computed (value id, tensor; valid only during the call) and disposes each intermediate value after its
    /// last reader, as eager PyTorch frees them, so memory stays at what the network needs at once. Returns the logits.
    /// </summary>
    public TorchTensor Forward(TorchTensor images, Action<int, TorchTensor> onValue)
    {
        var graph = Model.Graph;
        _lastReader ??= LastReaders(graph);
        int output = graph.ValueId(graph.OutputName);
        var values = new TorchTensor?[graph.ValueCount];
        values[0] = images;
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            var inputs = node.Inputs.Select(n => values[graph.ValueId(n)]!).ToArray();
            values[i + 1] = Run(node, inputs);
            onValue(i + 1, values[i + 1]!);
            foreach (var name in node.Inputs.Distinct())
            {
                int id = graph.ValueId(name);
                // A node may hand its input back unchanged (an identity activation): never free a tensor still held as another value.
                if (id != 0 && id != output && _lastReader[id] == i
                    && !values.Where((v, other) => other != id && ReferenceEquals(v, values[id])).Any())
                {
                    values[id]!.Dispose();
                    values[id] = null;
                }
            }
        }
        var logits = values[output]!;
        return logits.reshape(logits.shape[0], -1);
    }

    private int[]? _lastReader;

    /// <summary>For each value, the index of the last node that reads it (−1: none).</summary>
    private static int[] LastReaders(ModelGraph graph)
    {
        var last = Enumerable.Repeat(-1, graph.ValueCount).ToArray();
        for (int i = 0; i < graph.Nodes.Count; i++)
            foreach (var name in graph.Nodes[i].Inputs) last[graph.ValueId(name)] = i;
        return last;
    }

    private TorchTensor Run(GraphNode node, TorchTensor[] x) => node switch
    {
        ConvNode c => ConvBn(c, x[0]),
        LinearNode l => Act(nn.functional.linear(x[0].reshape(x[0].shape[0], -1), Weight(l), l.BiasName is null ? null : Tensors[l.BiasName]), l.Activation),
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
        var y = nn.functional.conv2d(x, Weight(c), c.BiasName is null ? null : Tensors[c.BiasName],
            new long[] { g.StrideH, g.StrideW }, new long[] { g.PadH, g.PadW }, new long[] { g.DilationH, g.DilationW }, g.Groups);
        if (c.BatchNorm is not null) y = Bn(c.BatchNorm, y);
        return Act(y, c.Activation);
    }

    private TorchTensor Weight(WeightLayerNode layer)
        => _weightTransform is null ? Tensors[layer.WeightName] : _weightTransform(layer, Tensors[layer.WeightName]);

    private TorchTensor Bn(BatchNormParams p, TorchTensor x)
        => nn.functional.batch_norm(x, Tensors[p.RunningMean], Tensors[p.RunningVar], Tensors[p.Gamma], Tensors[p.Beta], training: _batchStatistics, momentum: 0.1, eps: p.Eps);

    private static TorchTensor Act(TorchTensor x, Activation a) => a switch
    {
        Activation.None => x,
        Activation.Relu => nn.functional.relu(x),
        Activation.Relu6 => nn.functional.relu6(x),
        _ => throw new NotSupportedException(a.ToString()),
    };

    public void Dispose()
    {
        foreach (var t in Tensors.Values) t.Dispose();
    }
}
