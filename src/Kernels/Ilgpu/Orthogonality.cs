using ILGPU;
using ILGPU.Runtime;

namespace Ompq.Kernels.Ilgpu;

/// <summary>
/// Double centring of an n×n Gram matrix, K̃ = H·K·H, in one group: n is a batch size (tens to hundreds), so the
/// whole job is a few microseconds of one multiprocessor and a single launch beats a multi-kernel pipeline. Thread
/// i sums row i and column i into the means (kept in scratch global memory), a shared-memory tree reduces the row
/// sums to the grand mean, and after the barrier every thread writes its strided share of k − rowMean − colMean +
/// grand. Each element is read and written by the same thread after all means exist, so the output may alias k.
/// </summary>
internal static class OrthogonalityKernels
{
    public static void Center(ArrayView<float> k, ArrayView<float> means, ArrayView<float> centered, int n)
    {
        var shared = SharedMemory.Allocate<float>(GroupReduce.Threads);
        int thread = Group.IdxX;
        float rowSums = 0;
        for (int i = thread; i < n; i += GroupReduce.Threads)
        {
            float rowSum = 0, colSum = 0;
            for (int j = 0; j < n; j++)
            {
                rowSum += k[(long)i * n + j];
                colSum += k[(long)j * n + i];
            }
            means[i] = rowSum / n;
            means[n + i] = colSum / n;
            rowSums += rowSum;
        }
        // The reduction's barriers also make every thread's means visible to the whole group.
        float grand = GroupReduce.Sum(shared, thread, rowSums) / ((float)n * n);
        long count = (long)n * n;
        for (long index = thread; index < count; index += GroupReduce.Threads)
        {
            int i = (int)(index / n), j = (int)(index - (long)i * n);
            centered[index] = k[index] - means[i] - means[n + j] + grand;
        }
    }
}

/// <summary>Launches the OMPQ orthogonality steps: centring of Gram matrices and their Frobenius inner products.</summary>
internal sealed class OrthogonalityLauncher : IDisposable
{
    private readonly IlgpuKernels _owner;
    private readonly GramLauncher _gram;
    private readonly ScratchBuffer _means;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> _center;

    public OrthogonalityLauncher(IlgpuKernels owner, GramLauncher gram)
    {
        _owner = owner;
        _gram = gram;
        _means = new ScratchBuffer(owner.Accelerator);
        var accelerator = owner.Accelerator;
        _center = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(OrthogonalityKernels.Center);
    }

    public void CenterGram(int n, BufferSlice k, BufferSlice centered)
    {
        if (n <= 0) throw new KernelArgumentException($"centring needs n > 0, got {n}");
        if ((long)n * n > int.MaxValue) throw new KernelArgumentException($"gram matrix {n}×{n} is too large");
        k.Require((long)n * n, "k");
        centered.Require((long)n * n, "centered");
        var means = _means.Get(2L * n);
        _center(new KernelConfig(1, GroupReduce.Threads), _owner.View(k, "k"), means, _owner.View(centered, "centered"), n);
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
