using Ompq.Tests.Kernels;

namespace Ompq.Tests.Backends.OpenCL;

public sealed class OpenCLConv2dBackwardTests(OpenCLFixture f) : Conv2dBackwardTests<OpenCLFixture>(f);
public sealed class OpenCLChannelSumTests(OpenCLFixture f) : ChannelSumTests<OpenCLFixture>(f);
public sealed class OpenCLTrainingArgumentCheckTests(OpenCLFixture f) : TrainingArgumentCheckTests<OpenCLFixture>(f);
public sealed class OpenCLBatchNormTrainingTests(OpenCLFixture f) : BatchNormTrainingTests<OpenCLFixture>(f);
public sealed class OpenCLActivationBackwardTests(OpenCLFixture f) : ActivationBackwardTests<OpenCLFixture>(f);
public sealed class OpenCLPoolingBackwardTests(OpenCLFixture f) : PoolingBackwardTests<OpenCLFixture>(f);
public sealed class OpenCLSoftmaxCrossEntropyTests(OpenCLFixture f) : SoftmaxCrossEntropyTests<OpenCLFixture>(f);
public sealed class OpenCLFakeQuantBackwardTests(OpenCLFixture f) : FakeQuantBackwardTests<OpenCLFixture>(f);
public sealed class OpenCLAxpyTests(OpenCLFixture f) : AxpyTests<OpenCLFixture>(f);
public sealed class OpenCLOptimizerStepTests(OpenCLFixture f) : OptimizerStepTests<OpenCLFixture>(f);
