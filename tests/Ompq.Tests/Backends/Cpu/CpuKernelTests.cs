using Ompq.Tests.Kernels;

namespace Ompq.Tests.Backends.Cpu;

public sealed class CpuMemoryTests(CpuFixture f) : MemoryTests<CpuFixture>(f);
public sealed class CpuArgumentCheckTests(CpuFixture f) : ArgumentCheckTests<CpuFixture>(f);
public sealed class CpuGemmTests(CpuFixture f) : GemmTests<CpuFixture>(f);
public sealed class CpuLinearTests(CpuFixture f) : LinearTests<CpuFixture>(f);
public sealed class CpuConv2dTests(CpuFixture f) : Conv2dTests<CpuFixture>(f);
public sealed class CpuBatchNormTests(CpuFixture f) : BatchNormTests<CpuFixture>(f);
public sealed class CpuActivationTests(CpuFixture f) : ActivationTests<CpuFixture>(f);
public sealed class CpuAddTests(CpuFixture f) : AddTests<CpuFixture>(f);
public sealed class CpuPoolingTests(CpuFixture f) : PoolingTests<CpuFixture>(f);
public sealed class CpuFakeQuantTests(CpuFixture f) : FakeQuantTests<CpuFixture>(f);
public sealed class CpuMinMaxTests(CpuFixture f) : MinMaxTests<CpuFixture>(f);
public sealed class CpuGramTests(CpuFixture f) : GramTests<CpuFixture>(f);
public sealed class CpuCenterGramTests(CpuFixture f) : CenterGramTests<CpuFixture>(f);
public sealed class CpuFrobeniusProductsTests(CpuFixture f) : FrobeniusProductsTests<CpuFixture>(f);
public sealed class CpuEpilogueTests(CpuFixture f) : EpilogueTests<CpuFixture>(f);
