using Ompq.Kernels.Cpu;
using Ompq.Runtime;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Search;
using TorchSharp;

namespace Ompq.Tests.Search;

/// <summary>The ORM against linear CKA computed the plain way with TorchSharp (float64) on the same features.</summary>
public sealed class OrthogonalityMatrixTests
{
    private static double[,] OrmOf(FakeFeatureModel model, int n, OrmForm form)
    {
        using var kernels = new CpuKernels(2);
        using var batch = FakeFeatureModel.Batch(kernels, n);
        using var orm = new OrthogonalityMatrix(kernels, model.Units(SearchMode.Qat).Select(u => u.Name).ToArray(), n, form);
        FeatureCapture.Run(model, batch, SearchMode.Qat, orm);
        return orm.Compute();
    }

    private static double[,] TorchCka(IReadOnlyList<float[]> features, int n)
    {
        int l = features.Count;
        var centred = new List<torch.Tensor>();
        using var scope = torch.NewDisposeScope();
        var h = torch.eye(n, dtype: torch.float64) - torch.full(n, n, 1.0 / n, dtype: torch.float64);
        foreach (var f in features)
        {
            var x = torch.tensor(f, dtype: torch.float32).reshape(n, -1).to(torch.float64);
            centred.Add(h.matmul(x.matmul(x.T)).matmul(h));
        }
        var orm = new double[l, l];
        for (int i = 0; i < l; i++)
        for (int j = 0; j < l; j++)
            orm[i, j] = ((centred[i] * centred[j]).sum() / (centred[i].norm() * centred[j].norm())).item<double>();
        return orm;
    }

    [Theory]
    [InlineData(OrmForm.Gram)]
    [InlineData(OrmForm.Feature)]
    [InlineData(OrmForm.Auto)]
    public void MatchesTorchSharpLinearCka(OrmForm form)
    {
        const int n = 12;
        // Auto mixes forms: d < n units use the feature form, the others the Gram form.
        var model = new FakeFeatureModel([5, 40, 3, 96, 11, 24], seed: 42);
        double[,] orm = OrmOf(model, n, form);
        double[,] expected = TorchCka(model.Emitted, n);
        int l = expected.GetLength(0);
        for (int i = 0; i < l; i++)
        {
            Assert.Equal(1.0, orm[i, i]);
            for (int j = 0; j < l; j++)
            {
                Assert.True(Math.Abs(expected[i, j] - orm[i, j]) <= 1e-5, $"ORM[{i},{j}] = {orm[i, j]}, torch {expected[i, j]}");
                Assert.Equal(orm[i, j], orm[j, i]);
                Assert.InRange(orm[i, j], 0.0, 1.0);
            }
        }
        // The matrix is not trivial: some pairs overlap much more than others.
        Assert.True(Enumerable.Range(0, l).SelectMany(i => Enumerable.Range(0, l).Where(j => j != i).Select(j => orm[i, j])).Max() > 0.3);
    }

    [Fact]
    public void GramFormEqualsFeatureForm()
    {
        const int n = 16;
        var model = new FakeFeatureModel([4, 9, 15, 7], seed: 5);
        double[,] gram = OrmOf(model, n, OrmForm.Gram);
        double[,] feature = OrmOf(model, n, OrmForm.Feature);
        for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            Assert.True(Math.Abs(gram[i, j] - feature[i, j]) <= 1e-5, $"[{i},{j}]: gram {gram[i, j]} vs feature {feature[i, j]}");
    }

    [Fact]
    public void ConstantUnitIsAnErrorNamingIt()
    {
        var model = new FakeFeatureModel([20, 30, 25], seed: 1, constantUnit: 1);
        var ex = Assert.Throws<InvalidInputException>(() => OrmOf(model, 8, OrmForm.Auto));
        Assert.Contains("unit 'unit1' has a constant output", ex.Message);
    }

    [Fact]
    public void NonFiniteFeaturesAreAnErrorNamingTheUnit()
    {
        var model = new FakeFeatureModel([20, 30, 25], seed: 1, nanUnit: 2);
        var ex = Assert.Throws<InvalidInputException>(() => OrmOf(model, 8, OrmForm.Auto));
        Assert.Contains("unit 'unit2' produced non-finite features", ex.Message);
    }

    [Fact]
    public void SearchIsDeterministicAndRespectsTheBudget()
    {
        SearchResult Run()
        {
            using var kernels = new CpuKernels(2);
            using var batch = FakeFeatureModel.Batch(kernels, 10);
            var model = new FakeFeatureModel([30, 8, 50, 12, 64], seed: 9);
            return OmpqSearch.Run(model, batch, new SearchOptions(SearchMode.Qat, 0.03, 10, new BitRange(4, 8)));
        }
        var a = Run();
        var b = Run();
        Assert.Equal(a.Units.Select(u => u.Bits), b.Units.Select(u => u.Bits));
        Assert.Equal(a.Orm, b.Orm);
        Assert.True(a.SizeMiB <= 0.03);
        Assert.True(a.ObjectiveInteger <= a.ObjectiveContinuous + 1e-12);
        Assert.All(a.Units, u => Assert.InRange(u.Bits, 4, 8));
        Assert.Contains(a.Units, u => u.Form == OrmForm.Feature);
        Assert.Contains(a.Units, u => u.Form == OrmForm.Gram);
    }
}
