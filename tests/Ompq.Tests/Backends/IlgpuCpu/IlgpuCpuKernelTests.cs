using Ompq.Tests.Kernels;

namespace Ompq.Tests.Backends.IlgpuCpu;

[Collection(IlgpuCpuCollection.Name)] public sealed class IlgpuCpuMemoryTests(IlgpuCpuFixture f) : MemoryTests<IlgpuCpuFixture>(f);
[Collection(IlgpuCpuCollection.Name)] public sealed class IlgpuCpuArgumentCheckTests(IlgpuCpuFixture f) : ArgumentCheckTests<IlgpuCpuFixture>(f);
[Collection(IlgpuCpuCollection.Name)] public sealed class IlgpuCpuGemmTests(IlgpuCpuFixture f) : GemmTests<IlgpuCpuFixture>(f);
[Collection(IlgpuCpuCollection.Name)] public sealed class IlgpuCpuLinearTests(IlgpuCpuFixture f) : LinearTests<IlgpuCpuFixture>(f);
[Collection(IlgpuCpuCollection.Name)] public sealed class IlgpuCpuConv2dTests(IlgpuCpuFixture f) : Conv2dTests<IlgpuCpuFixture>(f);
[Collection(IlgpuCpuCollection.Name)] public sealed class IlgpuCpuBatchNormTests(IlgpuCpuFixture f) : BatchNormTests<IlgpuCpuFixture>(f);
[Collection(IlgpuCpuCollection.Name)] public sealed class IlgpuCpuActivationTests(IlgpuCpuFixture f) : ActivationTests<IlgpuCpuFixture>(f);
[Collection(IlgpuCpuCollection.Name)] public sealed class IlgpuCpuAddTests(IlgpuCpuFixture f) : AddTests<IlgpuCpuFixture>(f);
[Collection(IlgpuCpuCollection.Name)] public sealed class IlgpuCpuPoolingTests(IlgpuCpuFixture f) : PoolingTests<IlgpuCpuFixture>(f);
[Collection(IlgpuCpuCollection.Name)] public sealed class IlgpuCpuFakeQuantTests(IlgpuCpuFixture f) : FakeQuantTests<IlgpuCpuFixture>(f);
[Collection(IlgpuCpuCollection.Name)] public sealed class IlgpuCpuMinMaxTests(IlgpuCpuFixture f) : MinMaxTests<IlgpuCpuFixture>(f);
[Collection(IlgpuCpuCollection.Name)] public sealed class IlgpuCpuGramTests(IlgpuCpuFixture f) : GramTests<IlgpuCpuFixture>(f);
[Collection(IlgpuCpuCollection.Name)] public sealed class IlgpuCpuCenterGramTests(IlgpuCpuFixture f) : CenterGramTests<IlgpuCpuFixture>(f);
[Collection(IlgpuCpuCollection.Name)] public sealed class IlgpuCpuFrobeniusProductsTests(IlgpuCpuFixture f) : FrobeniusProductsTests<IlgpuCpuFixture>(f);
[Collection(IlgpuCpuCollection.Name)] public sealed class IlgpuCpuEpilogueTests(IlgpuCpuFixture f) : EpilogueTests<IlgpuCpuFixture>(f);
