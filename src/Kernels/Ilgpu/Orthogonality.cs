using ILGPU;
using ILGPU.Runtime;

namespace Ompq.Kernels.Ilgpu;

/// <summary>
/// Double centring of an n×n Gram matrix, K̃ = H·K·H: one group per index i reduces row i and column i to their
/// means (shared-memory trees), one group reduces the row means to the grand mean, then one thread per element
/// writes k − rowMean − colMean + grand. The means live in scratch, so the output may alias the input.
/// </summary>
internal static class OrthogonalityKernels
{
    /// <summary>Grid x = i; means[i] = row mean, means[n + i] = column mean.</summary>
    public static void RowColumnMeans(ArrayView<float> k, ArrayView<float> means, int n)
    {
        var shared = SharedMemory.Allocate<float>(GroupReduce.Threads);
        int thread = Group.IdxX;
        int i = Grid.IdxX;
        float rowSum = 0, colSum = 0;
        for (int j = thread; j < n; j += GroupReduce.Threads)
        {
            rowSum += k[(long)i * n + j];
            colSum += k[(long)j * n + i];
        }
        float row = GroupReduce.Sum(shared, thread, rowSum);
        float col = GroupReduce.Sum(shared, thread, colSum);
        if (thread == 0)
        {
            means[i] = row / n;
            means[n + i] = col / n;
        }
    }

    /// <summary>One group; means[2n] = mean of the row means.</summary>
    public static void GrandMean(ArrayView<float> means, int n)
    {
        var shared = SharedMemory.Allocate<float>(GroupReduce.Threads);
        int thread = Group.IdxX;
        float sum = 0;
        for (int i = thread; i < n; i += GroupReduce.Threads) sum += means[i];
        float total = GroupReduce.Sum(shared, thread, sum);
        if (thread == 0) means[2 * n] = total / n;
    }

    public static void Center(Index1D index, ArrayView<float> k, ArrayView<float> means, ArrayView<float> centered, int n)
    {
        int i = index / n, j = index % n;
        centered[index] = k[index] - means[i] - means[n + j] + means[2 * n];
    }
}

/// <summary>Launches the OMPQ orthogonality steps: centring of Gram matrices and their Frobenius inner products.</summary>
internal sealed class OrthogonalityLauncher : IDisposable
{
    private readonly IlgpuKernels _owner;
    private readonly GramLauncher _gram;
    private readonly ScratchBuffer _means;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, int> _rowColumnMeans;
    private readonly Action<KernelConfig, ArrayView<float>, int> _grandMean;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> _center;

    public OrthogonalityLauncher(IlgpuKernels owner, GramLauncher gram)
    {
        _owner = owner;
        _gram = gram;
        _means = new ScratchBuffer(owner.Accelerator);
        var accelerator = owner.Accelerator;
        _rowColumnMeans = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(OrthogonalityKernels.RowColumnMeans);
        _grandMean = accelerator.LoadStreamKernel<ArrayView<float>, int>(OrthogonalityKernels.GrandMean);
        _center = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(OrthogonalityKernels.Center);
    }

    public void CenterGram(int n, BufferSlice k, BufferSlice centered)
    {
        if (n <= 0) throw new KernelArgumentException($"centring needs n > 0, got {n}");
        if ((long)n * n > int.MaxValue) throw new KernelArgumentException($"gram matrix {n}×{n} is too large");
        k.Require((long)n * n, "k");
        centered.Require((long)n * n, "centered");
        var means = _means.Get(2L * n + 1);
        var kView = _owner.View(k, "k");
        _rowColumnMeans(new KernelConfig(n, GroupReduce.Threads), kView, means, n);
        _grandMean(new KernelConfig(1, GroupReduce.Threads), means, n);
        _center(n * n, kView, means, _owner.View(centered, "centered"), n);
    }

    /// <summary>⟨M_i, M_j⟩ for all pairs is the Gram matrix of the matrices flattened into rows.</summary>
    public void FrobeniusProducts(int count, long elements, BufferSlice matrices, BufferSlice products)
    {
        if (count <= 0 || elements <= 0)
            throw new KernelArgumentException($"Frobenius products need count > 0 and elements > 0, got {count} and {elements}");
        _gram.Gram(count, elements, matrices, products, "matrices", "products");
    }

    public void Dispose() => _means.Dispose();
}
