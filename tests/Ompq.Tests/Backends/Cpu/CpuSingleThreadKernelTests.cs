using Ompq.Tests.Kernels;

namespace Ompq.Tests.Backends.Cpu;

public sealed class CpuSingleThreadGemmTests(CpuSingleThreadFixture f) : GemmTests<CpuSingleThreadFixture>(f);
public sealed class CpuSingleThreadLinearTests(CpuSingleThreadFixture f) : LinearTests<CpuSingleThreadFixture>(f);
public sealed class CpuSingleThreadConv2dTests(CpuSingleThreadFixture f) : Conv2dTests<CpuSingleThreadFixture>(f);
public sealed class CpuSingleThreadPoolingTests(CpuSingleThreadFixture f) : PoolingTests<CpuSingleThreadFixture>(f);
public sealed class CpuSingleThreadMinMaxTests(CpuSingleThreadFixture f) : MinMaxTests<CpuSingleThreadFixture>(f);
public sealed class CpuSingleThreadGramTests(CpuSingleThreadFixture f) : GramTests<CpuSingleThreadFixture>(f);
public sealed class CpuSingleThreadEpilogueTests(CpuSingleThreadFixture f) : EpilogueTests<CpuSingleThreadFixture>(f);
