using Ompq.Host.Data;
using Ompq.Kernels.Cpu;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Quantization.Ptq;
using Ompq.Runtime.Training;
using Ompq.Tests.Training;
using Xunit.Abstractions;

namespace Ompq.Tests.Quantization;

/// <summary>
/// Learned rounding (AdaRound, block-wise as BRECQ) lowers one residual block's output error against the float block
/// below what rounding every weight to nearest gives, on a few hundred images; and the blocks are the residual blocks.
/// </summary>
public sealed class BlockReconstructionTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void ReconstructionBeatsNearestOnABaselineBlock()
    {
        Cli.TrainCommandTests.SkipUnlessFashionMnist();
        string path = Path.Combine(RepositoryRoot(), "models", "resnet20-fashion-mnist.safetensors");
        using var model = TrainingCheckpoint.Load(path).CreateModel(path);
        var images = CalibrationImages.Draw(LabelledDataSets.Open("fashion-mnist", DataSplit.Train), 256, seed: 3);
        var result = ReconstructBlock(model, images, blockIndex: 2, bits: 3, iterations: 150);
        output.WriteLine($"{result.Name}: nearest {result.ErrorNearest:E3}, learned {result.ErrorLearned:E3}");
        Assert.Equal("layer1.1", result.Name);
        Assert.True(result.ErrorLearned < 0.8 * result.ErrorNearest,
            $"3-bit layer1.1: learned rounding MSE {result.ErrorLearned:E3} should be well below nearest {result.ErrorNearest:E3}");
        Assert.True(result.LearnedKept);
    }

    [Fact]
    public void ReconstructionBeatsNearestOnARandomNetwork()
    {
        using var model = ModelZoo.Create("resnet20", 16, seed: 5, classes: 4);
        var set = new SyntheticLabelledImages(192, 4, 16, seed: 6);
        var images = CalibrationImages.Draw(set, 192, seed: 0);
        var result = ReconstructBlock(model, images, blockIndex: 1, bits: 3, iterations: 200);
        output.WriteLine($"{result.Name}: nearest {result.ErrorNearest:E3}, learned {result.ErrorLearned:E3}");
        Assert.Equal("layer1.0", result.Name);
        Assert.True(result.ErrorLearned < 0.9 * result.ErrorNearest,
            $"3-bit layer1.0: learned rounding MSE {result.ErrorLearned:E3} should be below nearest {result.ErrorNearest:E3}");
    }

    [Fact]
    public void ResNetBlocksAreTheStemTheResidualBlocksAndTheClassifier()
    {
        using var unfolded = ModelZoo.Create("resnet20", 28, seed: 0);
        using var model = unfolded.FoldBatchNorm();
        var blocks = ReconstructionBlocks.Find(model.Graph);
        var expected = new[] { "conv1" }
            .Concat(Enumerable.Range(1, 3).SelectMany(s => Enumerable.Range(0, 3).Select(b => $"layer{s}.{b}")))
            .Append("fc").ToArray();
        Assert.Equal(expected, blocks.Select(b => b.Name));
        Assert.Equal(new[] { "layer2.0.downsample.0", "layer2.0.conv1", "layer2.0.conv2" }, blocks[4].Layers);
        Assert.Equal(model.WeightLayers.Select(l => l.Name), blocks.SelectMany(b => b.Layers));
        Assert.Equal(new[] { "avgpool", "flatten", "fc" }, blocks[^1].Nodes(model.Graph).Select(n => n.Name));
        for (int i = 1; i < blocks.Count; i++) Assert.Equal(blocks[i - 1].OutputValue, blocks[i].InputValue);
    }

    /// <summary>The block's input is the float model's (the blocks before it stay float); its target the float block's output.</summary>
    private static BlockReconstructionResult ReconstructBlock(GraphModel floatModel, CalibrationImages images, int blockIndex, int bits, int iterations)
    {
        using var kernels = new CpuKernels();
        using var model = floatModel.FoldBatchNorm();
        var blocks = ReconstructionBlocks.Find(model.Graph);
        var (c, h, w) = images.Shape;
        var input = new HostActivations(images.Data, images.Count, new[] { c, h, w });
        for (int b = 0; b < blockIndex; b++)
        {
            using var before = BlockModels.Inference(model, blocks[b]);
            input = input.Forward(before, kernels, 256);
        }
        var block = blocks[blockIndex];
        var weights = block.Layers.ToDictionary(l => l, l =>
        {
            var node = (WeightLayerNode)model.Graph.Node(l);
            return (bits, LpWeightScales.Search(model.Parameters[node.WeightName].Data, node.OutChannels(model.Parameters), bits));
        });
        var options = new PtqOptions { Iterations = iterations, Seed = 1 };
        var outcome = new BlockReconstruction(kernels, model, block, blockIndex, blocks.Count, weights, options, null)
            .Run(input, input, CancellationToken.None);

        // The model's weights are now on their grids: an integer times the channel's scale.
        foreach (var layer in block.Layers)
        {
            var node = (WeightLayerNode)model.Graph.Node(layer);
            var values = model.Parameters[node.WeightName].Data;
            var scales = weights[layer].Item2;
            int perChannel = values.Length / scales.Length;
            for (int i = 0; i < values.Length; i++)
            {
                float q = values[i] / scales[i / perChannel];
                Assert.True(Math.Abs(q - MathF.Round(q)) < 1e-4f && MathF.Round(q) >= -(1 << (bits - 1)) && MathF.Round(q) <= (1 << (bits - 1)) - 1, $"{layer}[{i}]: w/s = {q}");
            }
        }
        Assert.NotNull(outcome.Result.ErrorLearned);
        return outcome.Result;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "OmpqKernels.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no OmpqKernels.sln above {AppContext.BaseDirectory}");
    }
}
