using Ompq.Tests.Kernels;

namespace Ompq.Tests.Backends.OpenCL;

public sealed class OpenCLMemoryTests(OpenCLFixture f) : MemoryTests<OpenCLFixture>(f);
public sealed class OpenCLArgumentCheckTests(OpenCLFixture f) : ArgumentCheckTests<OpenCLFixture>(f);
public sealed class OpenCLGemmTests(OpenCLFixture f) : GemmTests<OpenCLFixture>(f);
public sealed class OpenCLLinearTests(OpenCLFixture f) : LinearTests<OpenCLFixture>(f);
public sealed class OpenCLConv2dTests(OpenCLFixture f) : Conv2dTests<OpenCLFixture>(f);
public sealed class OpenCLBatchNormTests(OpenCLFixture f) : BatchNormTests<OpenCLFixture>(f);
public sealed class OpenCLActivationTests(OpenCLFixture f) : ActivationTests<OpenCLFixture>(f);
public sealed class OpenCLAddTests(OpenCLFixture f) : AddTests<OpenCLFixture>(f);
public sealed class OpenCLPoolingTests(OpenCLFixture f) : PoolingTests<OpenCLFixture>(f);
public sealed class OpenCLFakeQuantTests(OpenCLFixture f) : FakeQuantTests<OpenCLFixture>(f);
public sealed class OpenCLMinMaxTests(OpenCLFixture f) : MinMaxTests<OpenCLFixture>(f);
public sealed class OpenCLGramTests(OpenCLFixture f) : GramTests<OpenCLFixture>(f);
public sealed class OpenCLCenterGramTests(OpenCLFixture f) : CenterGramTests<OpenCLFixture>(f);
public sealed class OpenCLFrobeniusProductsTests(OpenCLFixture f) : FrobeniusProductsTests<OpenCLFixture>(f);
public sealed class OpenCLEpilogueTests(OpenCLFixture f) : EpilogueTests<OpenCLFixture>(f);
