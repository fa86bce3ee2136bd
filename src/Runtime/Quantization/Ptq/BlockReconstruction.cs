using System.Diagnostics;
using Ompq.Kernels;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Tensors;
using Ompq.Runtime.Training;

namespace Ompq.Runtime.Quantization.Ptq;

/// <summary>
/// Quantizes one <see cref="ReconstructionBlock"/> (BRECQ): the float block's output on the float model's activations
/// is the target; the quantized block reads the quantized model's preceding output. Each layer input gets a searched
/// activation step (<see cref="ActivationStepSearch"/>) on what the quantized model feeds it, then the rounding of all
/// the block's weights is learned together (<see cref="AdaRoundLayer"/>) against the block-output MSE with those
/// activations quantized, and the learned rounding is kept only if it lowers the block's error on the calibration set
/// (otherwise rounding to nearest stays). The block's weights in the model are replaced by their quantized values.
/// </summary>
internal sealed class BlockReconstruction
{
    /// <summary>Reconstruction progress is reported every this many iterations (and at the last).</summary>
    private const int ReportEvery = 25;

    private readonly IKernels _kernels;
    private readonly GraphModel _model;
    private readonly ReconstructionBlock _block;
    private readonly int _index;
    private readonly int _blocks;
    private readonly IReadOnlyDictionary<string, (int Bits, float[] Scales)> _weights;
    private readonly PtqOptions _options;
    private readonly IProgress<PtqProgress>? _progress;

    /// <param name="model">The batch-norm-folded model; the block's layers still hold float weights.</param>
    /// <param name="weights">Width and scales of each quantized layer (layers absent stay fp32).</param>
    public BlockReconstruction(IKernels kernels, GraphModel model, ReconstructionBlock block, int index, int blocks,
        IReadOnlyDictionary<string, (int Bits, float[] Scales)> weights, PtqOptions options, IProgress<PtqProgress>? progress)
    {
        _kernels = kernels;
        _model = model;
        _block = block;
        _index = index;
        _blocks = blocks;
        _weights = weights;
        _options = options;
        _progress = progress;
    }

    public sealed record Outcome(BlockReconstructionResult Result, IReadOnlyDictionary<string, LayerQuantization> Layers,
        HostActivations QuantizedOutput, HostActivations FloatOutput);

    public Outcome Run(HostActivations quantizedInput, HostActivations floatInput, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        Report(PtqStage.Calibrating);
        HostActivations target;
        using (var floatBlock = BlockModels.Inference(_model, _block))
            target = floatInput.Forward(floatBlock, _kernels, _options.ForwardBatch);

        var layers = _block.Layers.Where(_weights.ContainsKey).Select(l => (WeightLayerNode)_model.Graph.Node(l)).ToList();
        var nearest = layers.ToDictionary(l => l.Name, l => new WeightGrid(_weights[l.Name].Bits)
            .RoundToNearest(_model.Parameters[l.WeightName].Data, _weights[l.Name].Scales), StringComparer.Ordinal);

        var training = BlockModels.Training(_model, _block);
        using var trainModel = training.Model;
        foreach (var layer in layers) trainModel.Parameters.SetValues(layer.WeightName, nearest[layer.Name]);
        using var executor = new TrainingExecutor(trainModel, _kernels);
        var grids = SearchActivationGrids(executor, training.InputQuantizers, quantizedInput, cancellation);
        var config = layers.ToDictionary(l => l.Name,
            l => new LayerQuantization(_weights[l.Name].Bits, _weights[l.Name].Scales, grids.GetValueOrDefault(l.Name)), StringComparer.Ordinal);

        using var quantizedBlock = BlockModels.Inference(_model, _block);
        quantizedBlock.SetQuantization(new QuantizationConfig(config));
        foreach (var layer in layers) quantizedBlock.Parameters.SetValues(layer.WeightName, nearest[layer.Name]);
        var outputNearest = quantizedInput.Forward(quantizedBlock, _kernels, _options.ForwardBatch);
        double errorNearest = outputNearest.MeanSquaredError(target);

        var final = nearest;
        var output = outputNearest;
        double? errorLearned = null;
        bool learnedKept = false;
        int iterations = 0;
        if (_options.Reconstruct && layers.Count > 0)
        {
            var learned = LearnRounding(executor, layers, quantizedInput, target, cancellation);
            iterations = _options.Iterations;
            foreach (var layer in layers) quantizedBlock.Parameters.SetValues(layer.WeightName, learned[layer.Name]);
            var outputLearned = quantizedInput.Forward(quantizedBlock, _kernels, _options.ForwardBatch);
            errorLearned = outputLearned.MeanSquaredError(target);
            if (errorLearned < errorNearest)
            {
                learnedKept = true;
                final = learned;
                output = outputLearned;
            }
        }
        foreach (var layer in layers) _model.Parameters.SetValues(layer.WeightName, final[layer.Name]);

        var result = new BlockReconstructionResult(_block.Name, _block.Layers, errorNearest, errorLearned, learnedKept, iterations,
            clock.Elapsed.TotalSeconds);
        Report(PtqStage.Finished, finished: result);
        return new Outcome(result, config, output, target);
    }

    /// <summary>
    /// One grid per distinct layer input, in execution order: the block input's from the quantized model's activations,
    /// an inner value's from what the block computes with its earlier inputs already quantized and its weights rounded
    /// to nearest. Layers reading the same value share its grid.
    /// </summary>
    private Dictionary<string, ActivationQuant> SearchActivationGrids(TrainingExecutor executor,
        IReadOnlyDictionary<string, InputFakeQuantNode> quantizers, HostActivations quantizedInput, CancellationToken cancellation)
    {
        var graph = executor.Model.Graph;
        var grids = new Dictionary<string, ActivationQuant>(StringComparer.Ordinal);
        var byValue = quantizers.Where(q => _weights.ContainsKey(q.Key))
            .GroupBy(q => q.Value.Inputs[0]).OrderBy(g => graph.ValueId(g.Key)).ToList();
        for (int group = 0; group < byValue.Count; group++)
        {
            string value = byValue[group].Key;
            int valueId = graph.ValueId(value);
            bool networkInput = value == _model.Graph.InputName;
            int seed = unchecked(_options.Seed * 7919 + _index * 131 + group);
            ActivationSample sample;
            if (valueId == 0)
            {
                sample = new ActivationSample(quantizedInput.Data.LongLength, seed);
                sample.Add(quantizedInput.Data);
            }
            else
            {
                sample = SampleInnerValue(executor, valueId, quantizedInput, seed, cancellation);
            }
            var grid = ActivationStepSearch.Search(networkInput ? _options.NetworkInputBits : _options.ActivationBits, sample);
            foreach (var (layer, quantizer) in byValue[group])
            {
                quantizer.Grid = grid;
                grids[layer] = grid;
            }
        }
        return grids;
    }

    private ActivationSample SampleInnerValue(TrainingExecutor executor, int valueId, HostActivations input, int seed, CancellationToken cancellation)
    {
        var (c, h, w) = executor.Model.InputShape;
        var shapes = executor.Model.Graph.InferShapes(new[] { c, h, w }, executor.Model.Parameters);
        long perImage = HostTensor.ElementCount(shapes[valueId]);
        var sample = new ActivationSample(perImage * input.Count, seed);
        float[]? host = null;
        for (int start = 0; start < input.Count; start += _options.ForwardBatch)
        {
            cancellation.ThrowIfCancellationRequested();
            int n = Math.Min(_options.ForwardBatch, input.Count - start);
            using var batch = Tensor.FromHost(_kernels, input.Images(start, n), input.BatchShape(n));
            executor.Forward(batch, (id, value) =>
            {
                if (id != valueId) return;
                host ??= new float[value.Size];
                var span = host.AsSpan(0, (int)value.Size);
                _kernels.Download(value.Data, span);
                sample.Add(span);
            });
            executor.EndStep();
        }
        return sample;
    }

    /// <summary>AdaRound over the block's layers: Adam on the rounding variables against the block-output loss, batches drawn in seeded order.</summary>
    private Dictionary<string, float[]> LearnRounding(TrainingExecutor executor, List<WeightLayerNode> layers, HostActivations input,
        HostActivations target, CancellationToken cancellation)
    {
        var rounding = layers.Select(l => new AdaRoundLayer(l.Name, l.WeightName, _model.Parameters[l.WeightName].Data,
            _weights[l.Name].Scales, _weights[l.Name].Bits)).ToList();
        var soft = rounding.Select(r => new float[r.Count]).ToList();
        var gradients = rounding.Select(r => new float[r.Count]).ToList();
        var adam = new AdamSettings(_options.LearningRate);
        int count = input.Count;
        int batch = Math.Min(_options.BatchSize, count);
        var hostInput = new float[batch * input.PerImage];
        var hostTarget = new float[batch * target.PerImage];
        var hostOutput = new float[batch * target.PerImage];
        using var device = Tensor.Allocate(_kernels, input.BatchShape(batch));
        Tensor? outputGradient = null;
        int[] order = Array.Empty<int>();
        int cursor = 0, epoch = 0;
        try
        {
            for (int iteration = 0; iteration < _options.Iterations; iteration++)
            {
                cancellation.ThrowIfCancellationRequested();
                if (cursor + batch > order.Length)
                {
                    // Each block draws its own seeded sequence of batches (epoch numbers kept apart per block).
                    order = BatchOrder.Permutation(_options.Seed, _index * 1_000_000 + epoch++, count);
                    cursor = 0;
                }
                for (int i = 0; i < batch; i++)
                {
                    int image = order[cursor + i];
                    input.Images(image, 1).CopyTo(hostInput.AsSpan(i * input.PerImage, input.PerImage));
                    target.Images(image, 1).CopyTo(hostTarget.AsSpan(i * target.PerImage, target.PerImage));
                }
                cursor += batch;
                _kernels.Upload(hostInput, device.Data);
                for (int l = 0; l < rounding.Count; l++)
                {
                    rounding[l].SoftWeight(soft[l]);
                    _kernels.Upload(soft[l], executor.Parameters[rounding[l].WeightName].Value);
                }

                var output = executor.Forward(device);
                _kernels.Download(output.Data, hostOutput);
                // Loss = Σ over a image's outputs of the squared error, averaged over the batch (BRECQ's scale, which
                // λ is set against); its gradient is 2·(output − target)/batch.
                double loss = 0;
                for (int i = 0; i < hostOutput.Length; i++)
                {
                    float d = hostOutput[i] - hostTarget[i];
                    loss += (double)d * d;
                    hostOutput[i] = 2f * d / batch;
                }
                loss /= batch;
                outputGradient ??= Tensor.Allocate(_kernels, output.Shape);
                _kernels.Upload(hostOutput, outputGradient.Data);
                executor.Backward(outputGradient);

                var (lambda, beta) = RoundingSchedule.At(iteration, _options.Iterations, _options);
                for (int l = 0; l < rounding.Count; l++)
                {
                    _kernels.Download(executor.Parameters[rounding[l].WeightName].Gradient!, gradients[l]);
                    rounding[l].Step(gradients[l], lambda, beta, adam);
                }
                if ((iteration + 1) % ReportEvery == 0 || iteration + 1 == _options.Iterations)
                    Report(PtqStage.Reconstructing, iteration + 1, loss);
            }
        }
        finally
        {
            executor.EndStep();
            outputGradient?.Dispose();
        }
        return rounding.ToDictionary(r => r.Layer, r => r.HardWeight(), StringComparer.Ordinal);
    }

    private void Report(PtqStage stage, int iteration = 0, double loss = 0, BlockReconstructionResult? finished = null)
        => _progress?.Report(new PtqProgress(_index, _blocks, _block.Name, stage, iteration, _options.Iterations, loss, finished));
}
