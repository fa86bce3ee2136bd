using Ompq.Kernels;
using Ompq.Tests.Reference;

namespace Ompq.Tests.Kernels;

/// <summary>
/// Base of the shared kernel suite. Each op family has one abstract class deriving from this (GemmTests,
/// Conv2dTests, ...), written once against <see cref="IKernels"/> and checked against TorchSharp.
///
/// Adding a backend = one fixture + one file of sealed subclasses under tests/Ompq.Tests/Backends/&lt;Backend&gt;/:
/// <code>
/// public sealed class CudaFixture : BackendFixture, IBackendCases
/// {
///     public static int CaseCount => 40;                       // random cases per op (one test each)
///     public override bool Available => ...;                   // false → every test skips with SkipReason
///     public override string SkipReason => "no CUDA device";
///     public override ShapeLimits Limits => ShapeLimits.Full;   // the shape-size knob: Small for simulators
///     protected override IKernels CreateKernels() => new IlgpuKernels(...);
/// }
/// public sealed class CudaGemmTests(CudaFixture f) : GemmTests&lt;CudaFixture&gt;(f);
/// ... one line per op family (see Backends/Cpu/CpuKernelTests.cs for the full list).
/// </code>
/// Case i of every op is generated from a seed derived from i, so a failure names a reproducible case.
/// </summary>
public abstract class KernelTestBase<TFixture> : IClassFixture<TFixture>
    where TFixture : BackendFixture, IBackendCases
{
    protected KernelTestBase(TFixture fixture)
    {
        Fixture = fixture;
    }

    /// <summary>Case indices 0 .. CaseCount−1 of the concrete backend; each is its own test.</summary>
    public static IEnumerable<object[]> Cases => Enumerable.Range(0, TFixture.CaseCount).Select(i => new object[] { i });

    protected TFixture Fixture { get; }

    protected ShapeLimits Limits => Fixture.Limits;

    /// <summary>The backend, after skipping the test when it cannot run here.</summary>
    protected IKernels Backend
    {
        get
        {
            Skip.IfNot(Fixture.Available, Fixture.SkipReason);
            return Fixture.Kernels;
        }
    }

    /// <summary>A generator seeded by the op family and case index.</summary>
    protected static Random CaseRandom(string family, int caseIndex) => new(StableHash(family) * 1009 + caseIndex);

    protected DeviceBuffer Upload(float[] data)
    {
        var buffer = Backend.Allocate(data.Length);
        Backend.Upload(data, buffer);
        return buffer;
    }

    protected float[] Download(BufferSlice slice)
    {
        Backend.Synchronize();
        var result = new float[slice.Length];
        Backend.Download(slice, result);
        return result;
    }

    protected float[] RunConv2d(Conv2dShape shape, float[] x, float[] w, float[]? bias, Epilogue epilogue)
    {
        using var dx = Upload(x);
        using var dw = Upload(w);
        using var db = bias is null ? null : Upload(bias);
        using var dy = Backend.Allocate(shape.OutputSize);
        Backend.Conv2d(shape, dx, dw, db?.All, dy, epilogue);
        return Download(dy);
    }

    private static int StableHash(string text)
    {
        int h = 17;
        foreach (char ch in text) h = unchecked(h * 31 + ch);
        return h & 0xFFFFF;
    }
}
