using Ompq.Tests.Kernels;

namespace Ompq.Tests.Backends.Cpu;

public sealed class CpuPortableMemoryTests(CpuPortableFixture f) : MemoryTests<CpuPortableFixture>(f);
public sealed class CpuPortableArgumentCheckTests(CpuPortableFixture f) : ArgumentCheckTests<CpuPortableFixture>(f);
public sealed class CpuPortableGemmTests(CpuPortableFixture f) : GemmTests<CpuPortableFixture>(f);
public sealed class CpuPortableLinearTests(CpuPortableFixture f) : LinearTests<CpuPortableFixture>(f);
public sealed class CpuPortableConv2dTests(CpuPortableFixture f) : Conv2dTests<CpuPortableFixture>(f);
public sealed class CpuPortableBatchNormTests(CpuPortableFixture f) : BatchNormTests<CpuPortableFixture>(f);
public sealed class CpuPortableActivationTests(CpuPortableFixture f) : ActivationTests<CpuPortableFixture>(f);
public sealed class CpuPortableAddTests(CpuPortableFixture f) : AddTests<CpuPortableFixture>(f);
public sealed class CpuPortablePoolingTests(CpuPortableFixture f) : PoolingTests<CpuPortableFixture>(f);
public sealed class CpuPortableFakeQuantTests(CpuPortableFixture f) : FakeQuantTests<CpuPortableFixture>(f);
public sealed class CpuPortableMinMaxTests(CpuPortableFixture f) : MinMaxTests<CpuPortableFixture>(f);
public sealed class CpuPortableGramTests(CpuPortableFixture f) : GramTests<CpuPortableFixture>(f);
public sealed class CpuPortableCenterGramTests(CpuPortableFixture f) : CenterGramTests<CpuPortableFixture>(f);
public sealed class CpuPortableFrobeniusProductsTests(CpuPortableFixture f) : FrobeniusProductsTests<CpuPortableFixture>(f);
public sealed class CpuPortableEpilogueTests(CpuPortableFixture f) : EpilogueTests<CpuPortableFixture>(f);
public sealed class CpuPortableConv2dBackwardTests(CpuPortableFixture f) : Conv2dBackwardTests<CpuPortableFixture>(f);
public sealed class CpuPortableChannelSumTests(CpuPortableFixture f) : ChannelSumTests<CpuPortableFixture>(f);
public sealed class CpuPortableTrainingArgumentCheckTests(CpuPortableFixture f) : TrainingArgumentCheckTests<CpuPortableFixture>(f);
public sealed class CpuPortableBatchNormTrainingTests(CpuPortableFixture f) : BatchNormTrainingTests<CpuPortableFixture>(f);
public sealed class CpuPortableActivationBackwardTests(CpuPortableFixture f) : ActivationBackwardTests<CpuPortableFixture>(f);
public sealed class CpuPortablePoolingBackwardTests(CpuPortableFixture f) : PoolingBackwardTests<CpuPortableFixture>(f);
public sealed class CpuPortableSoftmaxCrossEntropyTests(CpuPortableFixture f) : SoftmaxCrossEntropyTests<CpuPortableFixture>(f);
public sealed class CpuPortableFakeQuantBackwardTests(CpuPortableFixture f) : FakeQuantBackwardTests<CpuPortableFixture>(f);
public sealed class CpuPortableAxpyTests(CpuPortableFixture f) : AxpyTests<CpuPortableFixture>(f);
public sealed class CpuPortableOptimizerStepTests(CpuPortableFixture f) : OptimizerStepTests<CpuPortableFixture>(f);
