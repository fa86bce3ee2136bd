using Ompq.Tests.Kernels;

namespace Ompq.Tests.Backends.Cpu;

public sealed class CpuTrainingArgumentCheckTests(CpuFixture f) : TrainingArgumentCheckTests<CpuFixture>(f);
public sealed class CpuBatchNormTrainingTests(CpuFixture f) : BatchNormTrainingTests<CpuFixture>(f);
public sealed class CpuActivationBackwardTests(CpuFixture f) : ActivationBackwardTests<CpuFixture>(f);
public sealed class CpuPoolingBackwardTests(CpuFixture f) : PoolingBackwardTests<CpuFixture>(f);
public sealed class CpuSoftmaxCrossEntropyTests(CpuFixture f) : SoftmaxCrossEntropyTests<CpuFixture>(f);
public sealed class CpuFakeQuantBackwardTests(CpuFixture f) : FakeQuantBackwardTests<CpuFixture>(f);
public sealed class CpuAxpyTests(CpuFixture f) : AxpyTests<CpuFixture>(f);
public sealed class CpuOptimizerStepTests(CpuFixture f) : OptimizerStepTests<CpuFixture>(f);

public sealed class CpuSingleThreadBatchNormTrainingTests(CpuSingleThreadFixture f) : BatchNormTrainingTests<CpuSingleThreadFixture>(f);
public sealed class CpuSingleThreadActivationBackwardTests(CpuSingleThreadFixture f) : ActivationBackwardTests<CpuSingleThreadFixture>(f);
public sealed class CpuSingleThreadPoolingBackwardTests(CpuSingleThreadFixture f) : PoolingBackwardTests<CpuSingleThreadFixture>(f);
public sealed class CpuSingleThreadSoftmaxCrossEntropyTests(CpuSingleThreadFixture f) : SoftmaxCrossEntropyTests<CpuSingleThreadFixture>(f);
public sealed class CpuSingleThreadFakeQuantBackwardTests(CpuSingleThreadFixture f) : FakeQuantBackwardTests<CpuSingleThreadFixture>(f);
public sealed class CpuSingleThreadAxpyTests(CpuSingleThreadFixture f) : AxpyTests<CpuSingleThreadFixture>(f);
public sealed class CpuSingleThreadOptimizerStepTests(CpuSingleThreadFixture f) : OptimizerStepTests<CpuSingleThreadFixture>(f);
