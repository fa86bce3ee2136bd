namespace Ompq.Kernels.Cpu;

/// <summary>The ops: argument checks, then the kernel of the op's family.</summary>
public sealed unsafe partial class CpuKernels
{
    public void Gemm(in GemmShape shape, BufferSlice a, BufferSlice b, BufferSlice c)
    {
        shape.Validate();
        a.Require(shape.ASize, "a");
        b.Require(shape.BSize, "b");
        c.Require(shape.CSize, "c");
        Cpu.Gemm.Run(shape.M, shape.N, shape.K, shape.Alpha,
            Pointer(a, "a"), shape.TransA ? shape.M : shape.K, shape.TransA,
            Pointer(b, "b"), shape.TransB ? shape.K : shape.N, shape.TransB,
            shape.Beta, Pointer(c, "c"), shape.N, Threads, Isa);
    }

    public void Linear(in LinearShape shape, BufferSlice x, BufferSlice weight, BufferSlice? bias, BufferSlice y, Epilogue epilogue = default)
    {
        shape.Validate();
        epilogue.OutputQuant?.Validate();
        x.Require((long)shape.Batch * shape.In, "x");
        weight.Require((long)shape.Out * shape.In, "weight");
        bias?.Require(shape.Out, "bias");
        y.Require((long)shape.Batch * shape.Out, "y");
        LinearGemm.Forward(shape, Pointer(x, "x"), Pointer(weight, "weight"), Pointer(bias, "bias"), Pointer(y, "y"), epilogue, Threads, Isa);
    }

    public void Conv2d(in Conv2dShape shape, BufferSlice x, BufferSlice weight, BufferSlice? bias, BufferSlice y, Epilogue epilogue = default)
    {
        shape.Validate();
        epilogue.OutputQuant?.Validate();
        x.Require(shape.InputSize, "x");
        weight.Require(shape.WeightSize, "weight");
        bias?.Require(shape.K, "bias");
        y.Require(shape.OutputSize, "y");
        Cpu.Conv2d.Forward(shape, Pointer(x, "x"), Pointer(weight, "weight"), Pointer(bias, "bias"), Pointer(y, "y"), epilogue, Threads, Isa);
    }

    public void BatchNormInference(in ChannelShape shape, BufferSlice x, BufferSlice gamma, BufferSlice beta,
        BufferSlice runningMean, BufferSlice runningVar, float eps, BufferSlice y, Activation activation = Activation.None)
    {
        shape.Validate();
        if (!(eps >= 0) || float.IsInfinity(eps)) throw new KernelArgumentException($"batch-norm eps must be a finite number >= 0, got {eps}");
        x.Require(shape.Size, "x");
        gamma.Require(shape.C, "gamma");
        beta.Require(shape.C, "beta");
        runningMean.Require(shape.C, "runningMean");
        runningVar.Require(shape.C, "runningVar");
        y.Require(shape.Size, "y");
        BatchNorm.Inference(shape, Pointer(x, "x"), Pointer(gamma, "gamma"), Pointer(beta, "beta"),
            Pointer(runningMean, "runningMean"), Pointer(runningVar, "runningVar"), eps, Pointer(y, "y"), activation, Threads, Isa);
    }

    public void Activate(Activation activation, BufferSlice x, BufferSlice y, long length)
    {
        CheckLength(length);
        x.Require(length, "x");
        y.Require(length, "y");
        Elementwise.Activate(activation, Pointer(x, "x"), Pointer(y, "y"), length, Threads, Isa);
    }

    public void Add(BufferSlice a, BufferSlice b, BufferSlice y, long length, Activation activation = Activation.None)
    {
        CheckLength(length);
        a.Require(length, "a");
        b.Require(length, "b");
        y.Require(length, "y");
        Elementwise.Add(Pointer(a, "a"), Pointer(b, "b"), Pointer(y, "y"), length, activation, Threads, Isa);
    }

    public void MaxPool2d(in Pool2dShape shape, BufferSlice x, BufferSlice y)
    {
        shape.Validate();
        x.Require(shape.InputSize, "x");
        y.Require(shape.OutputSize, "y");
        Pooling.Max(shape, Pointer(x, "x"), Pointer(y, "y"), Threads, Isa);
    }

    public void AvgPool2d(in Pool2dShape shape, BufferSlice x, BufferSlice y)
    {
        shape.Validate();
        x.Require(shape.InputSize, "x");
        y.Require(shape.OutputSize, "y");
        Pooling.Average(shape, Pointer(x, "x"), Pointer(y, "y"), Threads, Isa);
    }

    public void GlobalAvgPool(in ChannelShape shape, BufferSlice x, BufferSlice y)
    {
        shape.Validate();
        x.Require(shape.Size, "x");
        y.Require((long)shape.N * shape.C, "y");
        Pooling.GlobalAverage(shape, Pointer(x, "x"), Pointer(y, "y"), Threads, Isa);
    }

    public void FakeQuantWeightsPerChannel(int channels, long perChannel, int bits, BufferSlice w, BufferSlice y, BufferSlice? scales = null)
    {
        if (channels <= 0 || perChannel <= 0)
            throw new KernelArgumentException($"fake quant needs channels > 0 and perChannel > 0, got {channels} and {perChannel}");
        QuantParams.CheckBits(bits);
        w.Require(channels * perChannel, "w");
        y.Require(channels * perChannel, "y");
        scales?.Require(channels, "scales");
        FakeQuant.WeightsPerChannel(channels, perChannel, bits, Pointer(w, "w"), Pointer(y, "y"), Pointer(scales, "scales"), Threads, Isa);
    }

    public void FakeQuantPerTensor(in QuantParams quant, BufferSlice x, BufferSlice y, long length)
    {
        quant.Validate();
        CheckLength(length);
        x.Require(length, "x");
        y.Require(length, "y");
        FakeQuant.PerTensor(quant, Pointer(x, "x"), Pointer(y, "y"), length, Threads, Isa);
    }

    public void MinMax(long outer, int channels, long inner, BufferSlice x, BufferSlice min, BufferSlice max)
    {
        if (outer <= 0 || channels <= 0 || inner <= 0)
            throw new KernelArgumentException($"min/max needs positive sizes, got outer={outer} channels={channels} inner={inner}");
        x.Require(outer * channels * inner, "x");
        min.Require(channels, "min");
        max.Require(channels, "max");
        Cpu.MinMax.PerChannel(outer, channels, inner, Pointer(x, "x"), Pointer(min, "min"), Pointer(max, "max"), Threads, Isa);
    }

    public void Gram(int n, long d, BufferSlice x, BufferSlice k)
    {
        if (n <= 0 || d <= 0) throw new KernelArgumentException($"gram needs n > 0 and d > 0, got n={n} d={d}");
        x.Require(n * d, "x");
        k.Require((long)n * n, "k");
        Cpu.Gram.Compute(n, d, Pointer(x, "x"), Pointer(k, "k"), Threads, Isa);
    }

    public void CenterGram(int n, BufferSlice k, BufferSlice centered)
    {
        if (n <= 0) throw new KernelArgumentException($"centering needs n > 0, got {n}");
        k.Require((long)n * n, "k");
        centered.Require((long)n * n, "centered");
        Orthogonality.CenterGram(n, Pointer(k, "k"), Pointer(centered, "centered"));
    }

    public void FrobeniusProducts(int count, long elements, BufferSlice matrices, BufferSlice products)
    {
        if (count <= 0 || elements <= 0)
            throw new KernelArgumentException($"Frobenius products need count > 0 and elements > 0, got {count} and {elements}");
        matrices.Require(count * elements, "matrices");
        products.Require((long)count * count, "products");
        Orthogonality.FrobeniusProducts(count, elements, Pointer(matrices, "matrices"), Pointer(products, "products"), Threads, Isa);
    }

    private static void CheckLength(long length)
    {
        if (length < 0) throw new KernelArgumentException($"length must be >= 0, got {length}");
    }
}
