using Ompq.Tests.Kernels;

namespace Ompq.Tests.Backends.Cuda;

public sealed class CudaMemoryTests(CudaFixture f) : MemoryTests<CudaFixture>(f);
public sealed class CudaArgumentCheckTests(CudaFixture f) : ArgumentCheckTests<CudaFixture>(f);
public sealed class CudaGemmTests(CudaFixture f) : GemmTests<CudaFixture>(f);
public sealed class CudaLinearTests(CudaFixture f) : LinearTests<CudaFixture>(f);
public sealed class CudaConv2dTests(CudaFixture f) : Conv2dTests<CudaFixture>(f);
public sealed class CudaBatchNormTests(CudaFixture f) : BatchNormTests<CudaFixture>(f);
public sealed class CudaActivationTests(CudaFixture f) : ActivationTests<CudaFixture>(f);
public sealed class CudaAddTests(CudaFixture f) : AddTests<CudaFixture>(f);
public sealed class CudaPoolingTests(CudaFixture f) : PoolingTests<CudaFixture>(f);
public sealed class CudaFakeQuantTests(CudaFixture f) : FakeQuantTests<CudaFixture>(f);
public sealed class CudaMinMaxTests(CudaFixture f) : MinMaxTests<CudaFixture>(f);
public sealed class CudaGramTests(CudaFixture f) : GramTests<CudaFixture>(f);
public sealed class CudaCenterGramTests(CudaFixture f) : CenterGramTests<CudaFixture>(f);
public sealed class CudaFrobeniusProductsTests(CudaFixture f) : FrobeniusProductsTests<CudaFixture>(f);
public sealed class CudaEpilogueTests(CudaFixture f) : EpilogueTests<CudaFixture>(f);
