using System.Reflection;

namespace Ompq.Kernels.Ilgpu;

/// <summary>One device kernel of this backend: explicitly grouped kernels take a KernelConfig, the others an index.</summary>
internal sealed record KernelEntry(string Name, MethodInfo Method, bool ExplicitlyGrouped);

/// <summary>
/// Every kernel the launchers load, so that they can all be compiled ahead of time for a backend no machine here has
/// (PTX, OpenCL C) and code-generation failures show up without a GPU.
/// </summary>
internal static class KernelCatalog
{
    public static IReadOnlyList<KernelEntry> All { get; } =
    [
        Grouped(typeof(GemmKernels), nameof(GemmKernels.Tiled)),
        Grouped(typeof(GemmLargeTileKernels), nameof(GemmLargeTileKernels.Tiled)),
        Grouped(typeof(Conv2dKernels), nameof(Conv2dKernels.ImplicitGemm)),
        Grouped(typeof(Conv2dLargeTileKernels), nameof(Conv2dLargeTileKernels.ImplicitGemm)),
        Indexed(typeof(DepthwiseConv2dKernels), nameof(DepthwiseConv2dKernels.Direct)),
        Indexed(typeof(BatchNormKernels), nameof(BatchNormKernels.Inference)),
        Indexed(typeof(ElementwiseKernels), nameof(ElementwiseKernels.Fill)),
        Indexed(typeof(ElementwiseKernels), nameof(ElementwiseKernels.Activate)),
        Indexed(typeof(ElementwiseKernels), nameof(ElementwiseKernels.Add)),
        Indexed(typeof(PoolingKernels), nameof(PoolingKernels.Max)),
        Indexed(typeof(PoolingKernels), nameof(PoolingKernels.Average)),
        Grouped(typeof(PoolingKernels), nameof(PoolingKernels.GlobalAverage)),
        Indexed(typeof(PoolingKernels), nameof(PoolingKernels.GlobalAverageSmall)),
        Indexed(typeof(FakeQuantKernels), nameof(FakeQuantKernels.PerTensor)),
        Grouped(typeof(FakeQuantKernels), nameof(FakeQuantKernels.ChannelScales)),
        Indexed(typeof(FakeQuantKernels), nameof(FakeQuantKernels.PerChannel)),
        Grouped(typeof(MinMaxKernels), nameof(MinMaxKernels.Partials)),
        Grouped(typeof(MinMaxKernels), nameof(MinMaxKernels.Finish)),
        Grouped(typeof(GramKernels), nameof(GramKernels.Partials)),
        Indexed(typeof(GramKernels), nameof(GramKernels.SumSplitsAndMirror)),
        Grouped(typeof(OrthogonalityKernels), nameof(OrthogonalityKernels.Center)),
        Indexed(typeof(Conv2dBackwardKernels), nameof(Conv2dBackwardKernels.Data)),
        Indexed(typeof(Conv2dBackwardKernels), nameof(Conv2dBackwardKernels.Weight)),
        Grouped(typeof(ChannelSumKernels), nameof(ChannelSumKernels.Sum)),
        Grouped(typeof(BatchNormTrainingKernels), nameof(BatchNormTrainingKernels.Forward)),
        Grouped(typeof(BatchNormTrainingKernels), nameof(BatchNormTrainingKernels.Backward)),
        Indexed(typeof(ElementwiseKernels), nameof(ElementwiseKernels.ActivateBackward)),
        Indexed(typeof(ElementwiseKernels), nameof(ElementwiseKernels.Axpy)),
        Indexed(typeof(PoolingBackwardKernels), nameof(PoolingBackwardKernels.Max)),
        Indexed(typeof(PoolingBackwardKernels), nameof(PoolingBackwardKernels.Average)),
        Indexed(typeof(PoolingBackwardKernels), nameof(PoolingBackwardKernels.GlobalAverage)),
        Indexed(typeof(SoftmaxCrossEntropyKernels), nameof(SoftmaxCrossEntropyKernels.Rows)),
        Indexed(typeof(FakeQuantBackwardKernels), nameof(FakeQuantBackwardKernels.PerTensor)),
        Indexed(typeof(FakeQuantBackwardKernels), nameof(FakeQuantBackwardKernels.PerChannel)),
        Indexed(typeof(OptimizerStepKernels), nameof(OptimizerStepKernels.Sgd)),
        Indexed(typeof(OptimizerStepKernels), nameof(OptimizerStepKernels.Adam)),
    ];

    private static KernelEntry Grouped(Type type, string name) => new($"{type.Name}.{name}", Find(type, name), true);
    private static KernelEntry Indexed(Type type, string name) => new($"{type.Name}.{name}", Find(type, name), false);

    private static MethodInfo Find(Type type, string name)
        => type.GetMethod(name, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
           ?? throw new InvalidOperationException($"kernel {type.Name}.{name} not found");
}
