using Ompq.Tests.Kernels;

namespace Ompq.Tests.Backends.Cpu;

public sealed class CpuConv2dBackwardTests(CpuFixture f) : Conv2dBackwardTests<CpuFixture>(f);
public sealed class CpuChannelSumTests(CpuFixture f) : ChannelSumTests<CpuFixture>(f);

public sealed class CpuSingleThreadConv2dBackwardTests(CpuSingleThreadFixture f) : Conv2dBackwardTests<CpuSingleThreadFixture>(f);
public sealed class CpuSingleThreadChannelSumTests(CpuSingleThreadFixture f) : ChannelSumTests<CpuSingleThreadFixture>(f);
