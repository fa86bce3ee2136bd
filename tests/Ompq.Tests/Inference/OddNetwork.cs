using Ompq.Kernels;
using Ompq.Runtime.Inference;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Tensors;
using Ompq.Runtime.Training;

namespace Ompq.Tests.Inference;

/// <summary>
/// A small network with odd channel counts and every op the integer engine runs: conv (3→5, ReLU), depthwise conv,
/// strided conv, max and average pools, an unfused add, a standalone activation, global pooling, flatten and linear.
/// </summary>
internal static class OddNetwork
{
    public static QuantizedNetwork Create(int seed, Func<int, int> bits)
    {
        var rng = new Random(seed);
        var parameters = new ParameterStore();
        void Add(string name, params int[] shape)
        {
            var data = new float[HostTensor.ElementCount(shape)];
            float spread = 1f / MathF.Sqrt(data.Length / shape[0]);
            for (int i = 0; i < data.Length; i++) data[i] = ((float)rng.NextDouble() * 2 - 1) * spread;
            parameters.Add(name, new HostTensor(shape, data));
        }
        Add("stem.weight", 5, 3, 3, 3); Add("stem.bias", 5);
        Add("dw.weight", 5, 1, 3, 3);
        Add("down.weight", 7, 5, 3, 3); Add("down.bias", 7);
        Add("side.weight", 7, 5, 1, 1);
        Add("fc.weight", 3, 7 * 4 * 4); Add("fc.bias", 3);
        var nodes = new List<GraphNode>
        {
            new ConvNode("stem", "x", "s", "stem.weight", "stem.bias", null, ConvGeometry.Square(1, 1), Activation.Relu),
            new ConvNode("dw", "s", "d", "dw.weight", null, null, ConvGeometry.Square(1, 1, groups: 5), Activation.Relu6),
            new PoolNode("pool", "d", "dp", PoolKind.Max, 3, 3, 2, 2, 1, 1),
            new ConvNode("down", "dp", "a", "down.weight", "down.bias", null, ConvGeometry.Square(1, 1), Activation.None),
            new ConvNode("side", "dp", "b", "side.weight", null, null, ConvGeometry.Square(1, 0), Activation.Relu),
            new AddNode("sum", "a", "b", "ab", Activation.None),
            new ActivationNode("act", "ab", "r", Activation.Relu),
            new PoolNode("avg", "r", "ra", PoolKind.Average, 2, 2, 2, 2, 1, 1, countIncludePad: false),
            new ReshapeNode("flat", "ra", "f", new[] { -1 }),
            new LinearNode("fc", "f", "y", "fc.weight", "fc.bias"),
        };
        var graph = new ModelGraph("x", nodes, "y");
        using var model = new GraphModel("odd", graph, parameters, (3, 11, 11),
            new Dictionary<SearchMode, IReadOnlyList<UnitSpec>>(), new Dictionary<SearchMode, IReadOnlyList<string>>());
        return TestNetworks.Calibrated(model, bits, 8, new RandomImages(32, (3, 11, 11), seed));
    }

    /// <summary>Uniform noise in [−1, 1): signed inputs, so the first layer runs on the offset signed grid.</summary>
    internal sealed class RandomImages(int count, (int, int, int) shape, int seed) : ILabelledImages
    {
        private readonly float[] _pixels = Enumerable.Range(0, count * shape.Item1 * shape.Item2 * shape.Item3)
            .Select(i => (float)(new Random(seed * 7919 + i).NextDouble() * 2 - 1)).ToArray();

        public string Name => "random";
        public int Count => count;
        public int Classes => 3;
        public (int Channels, int Height, int Width) ImageShape => shape;

        public void Read(ReadOnlySpan<int> indices, Span<float> images, Span<int> labels)
        {
            int size = shape.Item1 * shape.Item2 * shape.Item3;
            for (int i = 0; i < indices.Length; i++)
            {
                _pixels.AsSpan(indices[i] * size, size).CopyTo(images.Slice(i * size, size));
                labels[i] = 0;
            }
        }
    }
}
