using Ompq.Tests.Kernels;

namespace Ompq.Tests.Backends.Cpu;

public sealed class CpuAvx2MemoryTests(CpuAvx2Fixture f) : MemoryTests<CpuAvx2Fixture>(f);
public sealed class CpuAvx2ArgumentCheckTests(CpuAvx2Fixture f) : ArgumentCheckTests<CpuAvx2Fixture>(f);
public sealed class CpuAvx2GemmTests(CpuAvx2Fixture f) : GemmTests<CpuAvx2Fixture>(f);
public sealed class CpuAvx2LinearTests(CpuAvx2Fixture f) : LinearTests<CpuAvx2Fixture>(f);
public sealed class CpuAvx2Conv2dTests(CpuAvx2Fixture f) : Conv2dTests<CpuAvx2Fixture>(f);
public sealed class CpuAvx2BatchNormTests(CpuAvx2Fixture f) : BatchNormTests<CpuAvx2Fixture>(f);
public sealed class CpuAvx2ActivationTests(CpuAvx2Fixture f) : ActivationTests<CpuAvx2Fixture>(f);
public sealed class CpuAvx2AddTests(CpuAvx2Fixture f) : AddTests<CpuAvx2Fixture>(f);
public sealed class CpuAvx2PoolingTests(CpuAvx2Fixture f) : PoolingTests<CpuAvx2Fixture>(f);
public sealed class CpuAvx2FakeQuantTests(CpuAvx2Fixture f) : FakeQuantTests<CpuAvx2Fixture>(f);
public sealed class CpuAvx2MinMaxTests(CpuAvx2Fixture f) : MinMaxTests<CpuAvx2Fixture>(f);
public sealed class CpuAvx2GramTests(CpuAvx2Fixture f) : GramTests<CpuAvx2Fixture>(f);
public sealed class CpuAvx2CenterGramTests(CpuAvx2Fixture f) : CenterGramTests<CpuAvx2Fixture>(f);
public sealed class CpuAvx2FrobeniusProductsTests(CpuAvx2Fixture f) : FrobeniusProductsTests<CpuAvx2Fixture>(f);
public sealed class CpuAvx2EpilogueTests(CpuAvx2Fixture f) : EpilogueTests<CpuAvx2Fixture>(f);
public sealed class CpuAvx2Conv2dBackwardTests(CpuAvx2Fixture f) : Conv2dBackwardTests<CpuAvx2Fixture>(f);
public sealed class CpuAvx2ChannelSumTests(CpuAvx2Fixture f) : ChannelSumTests<CpuAvx2Fixture>(f);
public sealed class CpuAvx2TrainingArgumentCheckTests(CpuAvx2Fixture f) : TrainingArgumentCheckTests<CpuAvx2Fixture>(f);
public sealed class CpuAvx2BatchNormTrainingTests(CpuAvx2Fixture f) : BatchNormTrainingTests<CpuAvx2Fixture>(f);
public sealed class CpuAvx2ActivationBackwardTests(CpuAvx2Fixture f) : ActivationBackwardTests<CpuAvx2Fixture>(f);
public sealed class CpuAvx2PoolingBackwardTests(CpuAvx2Fixture f) : PoolingBackwardTests<CpuAvx2Fixture>(f);
public sealed class CpuAvx2SoftmaxCrossEntropyTests(CpuAvx2Fixture f) : SoftmaxCrossEntropyTests<CpuAvx2Fixture>(f);
public sealed class CpuAvx2FakeQuantBackwardTests(CpuAvx2Fixture f) : FakeQuantBackwardTests<CpuAvx2Fixture>(f);
public sealed class CpuAvx2AxpyTests(CpuAvx2Fixture f) : AxpyTests<CpuAvx2Fixture>(f);
public sealed class CpuAvx2OptimizerStepTests(CpuAvx2Fixture f) : OptimizerStepTests<CpuAvx2Fixture>(f);
