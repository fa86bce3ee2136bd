using Ompq.Benchmarking;
using Ompq.Kernels;
using Ompq.Kernels.Cpu;
using TorchSharp;

namespace Ompq.Tests.Bench;

/// <summary>
/// The benchmark's output check: identical inputs on both sides, a comparison that passes what only summation order
/// changes and catches a wrong op (reported as a mismatch naming the case), and the cases whose state changes each
/// run (SGD, batch-norm statistics) compared after exactly one run.
/// </summary>
public sealed class OutputComparisonTests
{
    [Fact]
    public void Relative_tolerance_passes_rounding_and_fails_beyond_it()
    {
        var check = OutputCheck.RelativeToMax(1e-4);
        float[] reference = [100f, -50f, 3f];

        var close = OutputComparer.Compare(check, [[100.005f, -50f, 3f]], [reference]);
        Assert.True(close.Passed, close.Problem);
        Assert.Equal(0.005, close.MaxAbsError!.Value, 1e-4);
        Assert.Equal(5e-5, close.MaxRelError!.Value, 1e-6);

        var far = OutputComparer.Compare(check, [[100f, -50f, 3.1f]], [reference]);
        Assert.False(far.Passed);
        Assert.Contains("tolerance", far.Problem);
    }

    [Fact]
    public void Each_output_is_judged_on_its_own_scale()
    {
        // A 1 % error in a small output must not hide beside a large one.
        var result = OutputComparer.Compare(OutputCheck.RelativeToMax(1e-4), [[1000f], [0.0101f]], [[1000f], [0.01f]]);
        Assert.False(result.Passed);
        Assert.Contains("output 1", result.Problem);
    }

    [Fact]
    public void Not_finite_or_differently_shaped_outputs_fail()
    {
        var check = OutputCheck.RelativeToMax(1e-4);
        Assert.False(OutputComparer.Compare(check, [[float.NaN, 1f]], [[0f, 1f]]).Passed);
        Assert.False(OutputComparer.Compare(check, [[1f, 2f]], [[1f, 2f, 3f]]).Passed);
        Assert.False(OutputComparer.Compare(check, [[1f], [2f]], [[1f]]).Passed);
    }

    [Fact]
    public void Fake_quant_allows_a_few_ties_one_step_apart_but_nothing_further()
    {
        var check = OutputCheck.QuantSteps(_ => 0.5, maxFlippedFraction: 0.1);
        float[] reference = [.. Enumerable.Range(0, 20).Select(i => i * 0.5f)];

        var oneTie = (float[])reference.Clone();
        oneTie[3] += 0.5f;
        var tie = OutputComparer.Compare(check, [oneTie], [reference]);
        Assert.True(tie.Passed, tie.Problem);
        Assert.Equal(1, tie.QuantFlips);

        var twoSteps = (float[])reference.Clone();
        twoSteps[3] += 1f;
        Assert.False(OutputComparer.Compare(check, [twoSteps], [reference]).Passed);

        var manyTies = reference.Select((v, i) => i < 5 ? v + 0.5f : v).ToArray();
        Assert.False(OutputComparer.Compare(check, [manyTies], [reference]).Passed);
    }

    [Fact]
    public void Inputs_are_the_same_floats_for_both_sides_and_libtorch_gets_a_copy()
    {
        IReadOnlyList<BenchInput> specs = [BenchInput.Uniform(3, 4), BenchInput.Constant(0.75f, 5), new([4], i => i % 3)];
        var a = new BenchInputs(specs);
        var b = new BenchInputs(specs);
        for (int i = 0; i < specs.Count; i++) Assert.Equal(a[i], b[i]);
        Assert.All(a[0], v => Assert.InRange(v, -1f, 1f));
        Assert.Equal([0.75f, 0.75f, 0.75f, 0.75f, 0.75f], a[1]);
        Assert.Equal([0f, 1f, 2f, 0f], a[2]);

        using var t = a.Torch(0);
        Assert.Equal([3L, 4L], t.shape);
        Assert.Equal(a[0], t.data<float>().ToArray());
        t.add_(1f);
        Assert.Equal(b[0], a[0]); // changing libtorch's tensor in place leaves the shared host array as it was
    }

    [Fact]
    public void A_wrong_op_is_reported_as_a_mismatch_naming_the_case_and_nothing_is_timed()
    {
        torch.set_num_threads(2);
        using var kernels = new CpuKernels(2);
        var right = BenchCatalog.Gemm(48, 40, 56);
        // The same case with our side off by 1 %: a deliberately wrong op.
        var wrong = right with
        {
            Ours = (k, inputs) => new OursRunner(k, inputs, [48L * 40], (ks, b) => ks.Gemm(new GemmShape(48, 40, 56, Alpha: 1.01f), b[0], b[1], b[2])),
        };

        var record = CaseMeasurement.Measure(right, kernels, rounds: 2, minSecondsPerSide: 0.01, peakGflops: 100);
        Assert.True(record.Compared);
        Assert.InRange(record.MaxRelError!.Value, 0, 1e-5);

        var e = Assert.Throws<OutputMismatchException>(() => CaseMeasurement.Measure(wrong, kernels, rounds: 2, minSecondsPerSide: 0.01, peakGflops: 100));
        Assert.StartsWith("gemm 48x40x56: ours differs from libtorch: ", e.Message);
        Assert.InRange(e.Comparison.MaxRelError!.Value, 0.005, 0.02);
    }

    [Theory]
    [InlineData("sgd-momentum-step")]
    [InlineData("batchnorm-train+backward 128x16x28x28")]
    [InlineData("softmax-ce+backward 128x10")]
    [InlineData("conv2d-backward-weight layer2")]
    [InlineData("conv2d-backward-data layer2")]
    [InlineData("fakequant-weights")]
    [InlineData("minmax-per-channel")]
    public void Catalog_cases_agree_with_libtorch(string filter)
    {
        torch.set_num_threads(2);
        using var kernels = new CpuKernels(2);
        var c = BenchCatalog.All().First(x => x.Matches(filter));
        var (ours, libtorch) = CaseMeasurement.CreateRunners(c, kernels);
        using (ours)
        using (libtorch)
        {
            var comparison = CaseMeasurement.Verify(c, ours, libtorch);
            Assert.True(comparison.Compared);
            Assert.True(comparison.Passed, comparison.Problem);
        }
    }

    [Fact]
    public void Search_features_orm_agrees_with_libtorch_forward_of_the_same_batch()
    {
        torch.set_num_threads(2);
        using var kernels = new CpuKernels(2);
        var c = BenchCatalog.SearchFeatures("resnet20", 28, 8);
        var (ours, libtorch) = CaseMeasurement.CreateRunners(c, kernels);
        using (ours)
        using (libtorch)
        {
            float[][] ourOrm = ours.RunForOutput(), torchOrm = libtorch.RunForOutput();
            var comparison = OutputComparer.Compare(c.Check, ourOrm, torchOrm);
            Assert.True(comparison.Passed, comparison.Problem);
            // A real ORM: unit diagonal, and not every unit identical to every other.
            int l = (int)Math.Sqrt(torchOrm[0].Length);
            Assert.All(Enumerable.Range(0, l), i => Assert.Equal(1f, torchOrm[0][i * l + i]));
            Assert.Contains(torchOrm[0], v => v < 0.99f);
        }
    }
}
