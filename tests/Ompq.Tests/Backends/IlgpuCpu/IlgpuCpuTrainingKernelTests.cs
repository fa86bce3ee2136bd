using Ompq.Tests.Kernels;

namespace Ompq.Tests.Backends.IlgpuCpu;

[Collection(IlgpuCpuCollection.Name)] public sealed class IlgpuCpuConv2dBackwardTests(IlgpuCpuFixture f) : Conv2dBackwardTests<IlgpuCpuFixture>(f);
[Collection(IlgpuCpuCollection.Name)] public sealed class IlgpuCpuChannelSumTests(IlgpuCpuFixture f) : ChannelSumTests<IlgpuCpuFixture>(f);
[Collection(IlgpuCpuCollection.Name)] public sealed class IlgpuCpuTrainingArgumentCheckTests(IlgpuCpuFixture f) : TrainingArgumentCheckTests<IlgpuCpuFixture>(f);
[Collection(IlgpuCpuCollection.Name)] public sealed class IlgpuCpuBatchNormTrainingTests(IlgpuCpuFixture f) : BatchNormTrainingTests<IlgpuCpuFixture>(f);
[Collection(IlgpuCpuCollection.Name)] public sealed class IlgpuCpuActivationBackwardTests(IlgpuCpuFixture f) : ActivationBackwardTests<IlgpuCpuFixture>(f);
[Collection(IlgpuCpuCollection.Name)] public sealed class IlgpuCpuPoolingBackwardTests(IlgpuCpuFixture f) : PoolingBackwardTests<IlgpuCpuFixture>(f);
[Collection(IlgpuCpuCollection.Name)] public sealed class IlgpuCpuSoftmaxCrossEntropyTests(IlgpuCpuFixture f) : SoftmaxCrossEntropyTests<IlgpuCpuFixture>(f);
[Collection(IlgpuCpuCollection.Name)] public sealed class IlgpuCpuFakeQuantBackwardTests(IlgpuCpuFixture f) : FakeQuantBackwardTests<IlgpuCpuFixture>(f);
[Collection(IlgpuCpuCollection.Name)] public sealed class IlgpuCpuAxpyTests(IlgpuCpuFixture f) : AxpyTests<IlgpuCpuFixture>(f);
[Collection(IlgpuCpuCollection.Name)] public sealed class IlgpuCpuOptimizerStepTests(IlgpuCpuFixture f) : OptimizerStepTests<IlgpuCpuFixture>(f);
