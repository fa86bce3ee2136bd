using Ompq.Tests.Kernels;

namespace Ompq.Tests.Backends.Cpu;

public sealed class CpuConv2dBackwardTests(CpuFixture f) : Conv2dBackwardTests<CpuFixture>(f);
public sealed class CpuChannelSumTests(CpuFixture f) : ChannelSumTests<CpuFixture>(f);
public sealed class CpuTrainingArgumentCheckTests(CpuFixture f) : TrainingArgumentCheckTests<CpuFixture>(f);
public sealed class CpuBatchNormTrainingTests(CpuFixture f) : BatchNormTrainingTests<CpuFixture>(f);
public sealed class CpuActivationBackwardTests(CpuFixture f) : ActivationBackwardTests<CpuFixture>(f);
public sealed class CpuPoolingBackwardTests(CpuFixture f) : PoolingBackwardTests<CpuFixture>(f);
public sealed class CpuSoftmaxCrossEntropyTests(CpuFixture f) : SoftmaxCrossEntropyTests<CpuFixture>(f);
public sealed class CpuFakeQuantBackwardTests(CpuFixture f) : FakeQuantBackwardTests<CpuFixture>(f);
public sealed class CpuAxpyTests(CpuFixture f) : AxpyTests<CpuFixture>(f);
public sealed class CpuOptimizerStepTests(CpuFixture f) : OptimizerStepTests<CpuFixture>(f);

public sealed class CpuSingleThreadConv2dBackwardTests(CpuSingleThreadFixture f) : Conv2dBackwardTests<CpuSingleThreadFixture>(f);
public sealed class CpuSingleThreadChannelSumTests(CpuSingleThreadFixture f) : ChannelSumTests<CpuSingleThreadFixture>(f);
public sealed class CpuSingleThreadBatchNormTrainingTests(CpuSingleThreadFixture f) : BatchNormTrainingTests<CpuSingleThreadFixture>(f);
public sealed class CpuSingleThreadActivationBackwardTests(CpuSingleThreadFixture f) : ActivationBackwardTests<CpuSingleThreadFixture>(f);
public sealed class CpuSingleThreadPoolingBackwardTests(CpuSingleThreadFixture f) : PoolingBackwardTests<CpuSingleThreadFixture>(f);
public sealed class CpuSingleThreadSoftmaxCrossEntropyTests(CpuSingleThreadFixture f) : SoftmaxCrossEntropyTests<CpuSingleThreadFixture>(f);
public sealed class CpuSingleThreadFakeQuantBackwardTests(CpuSingleThreadFixture f) : FakeQuantBackwardTests<CpuSingleThreadFixture>(f);
public sealed class CpuSingleThreadAxpyTests(CpuSingleThreadFixture f) : AxpyTests<CpuSingleThreadFixture>(f);
public sealed class CpuSingleThreadOptimizerStepTests(CpuSingleThreadFixture f) : OptimizerStepTests<CpuSingleThreadFixture>(f);
