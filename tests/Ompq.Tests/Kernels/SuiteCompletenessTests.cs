using System.Reflection;
using Ompq.Tests.Backends.Cpu;
using Ompq.Tests.Backends.IlgpuCpu;

namespace Ompq.Tests.Kernels;

/// <summary>
/// Every shared kernel suite runs on every backend: for each abstract generic suite deriving from
/// <see cref="KernelTestBase{TFixture}"/> and each backend fixture in this assembly there must be a sealed class
/// instantiating the suite with that fixture. A suite written but not wired into a backend's file would otherwise
/// silently never run there.
/// </summary>
public sealed class SuiteCompletenessTests
{
    /// <summary>
    /// The single-threaded cpu fixture exists to run the serial paths of kernels that split their work over threads
    /// (blocking, partial sums, per-worker tails) and to show that results do not depend on the thread count. It
    /// skips only these suites: argument checks and memory behaviour do not depend on threads, and these forward ops'
    /// cpu kernels split elementwise or serial work whose results cannot change with the split. Everything else,
    /// including any new suite, must run single-threaded too unless it is added here with that reason.
    /// </summary>
    private static readonly HashSet<string> NotSingleThreadSuites =
    [
        "MemoryTests", "ArgumentCheckTests", "TrainingArgumentCheckTests",
        "BatchNormTests", "ActivationTests", "AddTests", "FakeQuantTests", "CenterGramTests", "FrobeniusProductsTests",
    ];

    private static readonly Type[] TestTypes = typeof(SuiteCompletenessTests).Assembly.GetTypes();

    private static IEnumerable<Type> Suites => TestTypes.Where(t =>
        t.IsAbstract && t.IsGenericTypeDefinition && DerivesFrom(t, typeof(KernelTestBase<>)));

    private static IEnumerable<Type> Fixtures => TestTypes.Where(t =>
        !t.IsAbstract && typeof(BackendFixture).IsAssignableFrom(t) && typeof(IBackendCases).IsAssignableFrom(t));

    [Fact]
    public void EverySuiteHasASealedInstantiationPerBackendFixture()
    {
        var suites = Suites.ToList();
        var fixtures = Fixtures.ToList();
        Assert.Contains(typeof(CpuFixture), fixtures);
        Assert.Contains(typeof(CpuPortableFixture), fixtures);
        Assert.Contains(typeof(IlgpuCpuFixture), fixtures);
        Assert.Contains(suites, s => s.Name.StartsWith("GemmTests", StringComparison.Ordinal));

        var missing = new List<string>();
        foreach (var fixture in fixtures)
        {
            foreach (var suite in suites)
            {
                string suiteName = SuiteName(suite);
                if (fixture == typeof(CpuSingleThreadFixture) && NotSingleThreadSuites.Contains(suiteName)) continue;
                var closed = suite.MakeGenericType(fixture);
                if (!TestTypes.Any(t => t.IsSealed && closed.IsAssignableFrom(t)))
                    missing.Add($"{suiteName}<{fixture.Name}>");
            }
        }
        Assert.True(missing.Count == 0,
            $"suites never instantiated for a backend (add a sealed subclass to that backend's *KernelTests.cs): {string.Join(", ", missing)}");
    }

    [Fact]
    public void SingleThreadExclusionsNameExistingSuites()
    {
        var names = Suites.Select(SuiteName).ToHashSet();
        var unknown = NotSingleThreadSuites.Where(s => !names.Contains(s)).ToList();
        Assert.True(unknown.Count == 0, $"the single-thread exclusions name suites that do not exist: {string.Join(", ", unknown)}");
    }

    /// <summary>The simulator holds 256 OS threads per group: its classes must run one at a time, in its collection.</summary>
    [Fact]
    public void IlgpuCpuClassesRunInTheSimulatorCollection()
    {
        var outside = TestTypes
            .Where(t => !t.IsAbstract && t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IClassFixture<>)
                && i.GetGenericArguments()[0] == typeof(IlgpuCpuFixture)))
            .Where(t => t.GetCustomAttribute<CollectionAttribute>() is null)
            .Select(t => t.Name)
            .ToList();
        Assert.True(outside.Count == 0, $"ilgpu-cpu test classes without [Collection(IlgpuCpuCollection.Name)]: {string.Join(", ", outside)}");
    }

    private static string SuiteName(Type suite) => suite.Name[..suite.Name.IndexOf('`')];

    private static bool DerivesFrom(Type type, Type genericBase)
    {
        for (var t = type.BaseType; t is not null; t = t.BaseType)
            if (t.IsGenericType && t.GetGenericTypeDefinition() == genericBase) return true;
        return false;
    }
}
