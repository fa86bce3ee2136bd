using Ompq.Kernels;
using Ompq.Kernels.Cpu;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Search;
using Ompq.Runtime.Tensors;
using Ompq.Tests.Reference;

namespace Ompq.Tests.Backends.IlgpuCpu;

/// <summary>
/// A whole model and a whole search on the ILGPU backend (through its CPU simulator), against the cpu backend:
/// the kernel suites check ops one at a time, this checks that their composition (buffer reuse, slices, the order
/// of queued work, batch-norm folding, feature capture) gives the same network on both. resnet20 on 8×8 images,
/// batch 2, for the logits and on 4×4 images, batch 4, for the search keep the simulator to about 25 s in all.
/// </summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class IlgpuCpuModelTests(IlgpuCpuFixture fixture) : IClassFixture<IlgpuCpuFixture>
{
    private const int InputSize = 8;
    private const int Batch = 2;
    private const int SearchInputSize = 4;
    private const int SearchBatch = 4;

    [Fact]
    public void ResNet20ForwardMatchesTheCpuBackend()
    {
        var input = RandomData.Uniform(new Random(41), Batch * InputSize * InputSize);
        using var cpu = new CpuKernels();
        var expected = Logits(cpu, SearchMode.Qat, input);
        var actual = Logits(fixture.Kernels, SearchMode.Qat, input);
        // ~20 layers of fp32 sums in a different order: relative to the logits' scale, not element by element.
        float scale = expected.Max(Math.Abs);
        Close.Assert(expected, actual, 0f, 1e-4f * scale, "resnet20 logits");
    }

    /// <summary>A whole training step of resnet20 (8×8, batch 4) on the simulator against TorchSharp autograd.</summary>
    [Fact]
    public void ResNet20TrainingStepMatchesTorchAutograd()
        => Ompq.Tests.Training.TrainingStepTests.RunStep(fixture.Kernels, "resnet20", InputSize, 4);

    /// <summary>The same step with fake-quantized weights (4-bit convs, 8-bit stem and classifier) and the STE.</summary>
    [Fact]
    public void ResNet20QatStepMatchesTorchStraightThrough()
        => Ompq.Tests.Training.TrainingStepTests.RunStep(fixture.Kernels, "resnet20", InputSize, 4, Ompq.Tests.Training.QatStepTests.MixedBits);

    [Fact]
    public void OmpqSearchOnResNet20GivesTheSameBitsAsTheCpuBackend()
    {
        var input = RandomData.Uniform(new Random(42), SearchBatch * SearchInputSize * SearchInputSize);
        using var cpu = new CpuKernels();
        var expected = Search(cpu, input);
        var actual = Search(fixture.Kernels, input);
        // Batch 2 would make every centred Gram rank one and every unit equally important (ties); batch 4 does not.
        Assert.True(expected.Units.Select(u => u.Coefficient).Distinct().Count() > 1, "degenerate search: all units equally important");
        Assert.Equal(expected.Units.Select(u => u.Bits), actual.Units.Select(u => u.Bits));
        Assert.Equal(expected.SizeMiB, actual.SizeMiB);
        var expectedOrm = expected.Orm.Cast<double>().Select(v => (float)v).ToArray();
        var actualOrm = actual.Orm.Cast<double>().Select(v => (float)v).ToArray();
        Close.Assert(expectedOrm, actualOrm, 1e-3f, 1e-5f, "resnet20 orthogonality matrix");
    }

    private static float[] Logits(IKernels kernels, SearchMode mode, float[] input)
    {
        using var model = ModelZoo.Create("resnet20", inputSize: InputSize, seed: 5);
        using var x = Tensor.FromHost(kernels, input, Batch, 1, InputSize, InputSize);
        using var y = model.Forward(x, mode);
        return y.ToArray();
    }

    private static SearchResult Search(IKernels kernels, float[] input)
    {
        using var model = ModelZoo.Create("resnet20", inputSize: SearchInputSize, seed: 5);
        using var batch = Tensor.FromHost(kernels, input, SearchBatch, 1, SearchInputSize, SearchInputSize);
        // Between all-4-bit and all-8-bit weights, so the allocation has to choose.
        long weights = model.Units(SearchMode.Qat).Sum(u => u.Params) + model.Fixed(SearchMode.Qat).Params;
        double budgetMiB = weights * 6.0 / 8 / (1024 * 1024);
        return OmpqSearch.Run(model, batch, new SearchOptions(SearchMode.Qat, budgetMiB, SearchOptions.DefaultBeta("resnet20", SearchMode.Qat), new BitRange(4, 8)));
    }
}
