using Ompq.Kernels;

namespace Ompq.Tests.Kernels;

/// <summary>
/// One backend under test, shared by all tests of one test class. A backend that cannot run here (no device,
/// missing driver) reports <see cref="Available"/> = false and a <see cref="SkipReason"/>; its tests then skip.
/// </summary>
public abstract class BackendFixture : IDisposable
{
    private readonly Lazy<IKernels> kernels;

    protected BackendFixture()
    {
        kernels = new Lazy<IKernels>(CreateKernels);
    }

    public abstract bool Available { get; }

    /// <summary>Why the backend is unavailable (shown as the skip reason).</summary>
    public virtual string SkipReason => "backend is available";

    /// <summary>How large the random shapes may get; small for slow backends such as ILGPU's CPU simulator.</summary>
    public abstract ShapeLimits Limits { get; }

    /// <summary>The backend instance; created on first use, only when <see cref="Available"/>.</summary>
    public IKernels Kernels => kernels.Value;

    protected abstract IKernels CreateKernels();

    public void Dispose()
    {
        if (kernels.IsValueCreated) kernels.Value.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The number of random cases per op, chosen by the concrete backend (read while tests are discovered).</summary>
public interface IBackendCases
{
    static abstract int CaseCount { get; }
}

/// <summary>Upper bounds for random shapes. Every op's case generator scales its sizes by these.</summary>
/// <param name="MaxGemm">largest M, N or K of GEMM / Linear</param>
/// <param name="MaxChannels">largest channel count per group in convolutions and channel ops</param>
/// <param name="MaxSpatial">largest H or W of images</param>
/// <param name="MaxBatch">largest N of images</param>
/// <param name="MaxLength">largest flat length of elementwise ops and of Gram rows</param>
/// <param name="LargeSpatial">H and W of the occasional large-plane convolution case (few channels)</param>
public sealed record ShapeLimits(int MaxGemm, int MaxChannels, int MaxSpatial, int MaxBatch, int MaxLength, int LargeSpatial)
{
    /// <summary>Sizes for an optimized backend on a CPU: big enough to cross cache blocks and SIMD tails.</summary>
    public static ShapeLimits Full => new(MaxGemm: 520, MaxChannels: 48, MaxSpatial: 24, MaxBatch: 3, MaxLength: 20_000, LargeSpatial: 48);

    /// <summary>Sizes for a simulator that runs about a GFLOP/s or less.</summary>
    public static ShapeLimits Small => new(MaxGemm: 40, MaxChannels: 8, MaxSpatial: 9, MaxBatch: 2, MaxLength: 600, LargeSpatial: 12);
}
