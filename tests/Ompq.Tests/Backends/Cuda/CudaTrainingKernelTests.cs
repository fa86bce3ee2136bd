using Ompq.Tests.Kernels;

namespace Ompq.Tests.Backends.Cuda;

public sealed class CudaConv2dBackwardTests(CudaFixture f) : Conv2dBackwardTests<CudaFixture>(f);
public sealed class CudaChannelSumTests(CudaFixture f) : ChannelSumTests<CudaFixture>(f);
public sealed class CudaTrainingArgumentCheckTests(CudaFixture f) : TrainingArgumentCheckTests<CudaFixture>(f);
public sealed class CudaBatchNormTrainingTests(CudaFixture f) : BatchNormTrainingTests<CudaFixture>(f);
public sealed class CudaActivationBackwardTests(CudaFixture f) : ActivationBackwardTests<CudaFixture>(f);
public sealed class CudaPoolingBackwardTests(CudaFixture f) : PoolingBackwardTests<CudaFixture>(f);
public sealed class CudaSoftmaxCrossEntropyTests(CudaFixture f) : SoftmaxCrossEntropyTests<CudaFixture>(f);
public sealed class CudaFakeQuantBackwardTests(CudaFixture f) : FakeQuantBackwardTests<CudaFixture>(f);
public sealed class CudaAxpyTests(CudaFixture f) : AxpyTests<CudaFixture>(f);
public sealed class CudaOptimizerStepTests(CudaFixture f) : OptimizerStepTests<CudaFixture>(f);
