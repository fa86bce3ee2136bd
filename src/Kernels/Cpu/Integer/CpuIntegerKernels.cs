namespace Ompq.Kernels.Cpu.Integer;

/// <summary>
/// The cpu implementation of <see cref="IIntegerKernels"/> on one <see cref="IntegerIsa"/> path. Stateless apart from
/// its settings, so one instance may serve concurrent calls; with one thread no call allocates managed memory.
/// </summary>
public sealed unsafe class CpuIntegerKernels : IIntegerKernels
{
    /// <param name="threads">Workers per op; 0 = <see cref="Environment.ProcessorCount"/>.</param>
    /// <param name="isa">Path; null = <see cref="IntegerIsas.Default"/>.</param>
    public CpuIntegerKernels(int threads = 0, IntegerIsa? isa = null)
    {
        if (threads < 0) throw new KernelArgumentException($"threads must be >= 0, got {threads}");
        if (isa is { } requested && !IntegerIsas.IsSupported(requested))
            throw new KernelArgumentException($"this CPU does not support the {IntegerIsas.Name(requested)} integer path");
        Threads = threads == 0 ? Environment.ProcessorCount : threads;
        Isa = isa ?? IntegerIsas.Default;
    }

    public IntegerIsa Isa { get; }
    public int Threads { get; }

    public PackedInt8Weights PackConvWeights(ReadOnlySpan<sbyte> codes, in Conv2dShape shape)
    {
        shape.Validate();
        return IntegerWeightPacking.Pack(Isa, codes, shape);
    }

    public long Conv2dScratchBytes(in Conv2dShape shape)
    {
        shape.Validate();
        if (shape.IsDepthwise) return IntegerDepthwise.ScratchBytes(shape, Threads);
        if (IntegerIm2Col.IsDirect(shape)) return 0;
        return IntegerConvChunks.ScratchBytes(shape, Threads, IntegerWeightPacking.PaddedDepth(checked(shape.C * shape.R * shape.S)));
    }

    public void Conv2d(in Conv2dShape shape, ReadOnlySpan<byte> input, CodeGrid inputGrid, PackedInt8Weights weights,
        IntegerEpilogue epilogue, IntegerTensor residual, IntegerTensor output, Span<byte> scratch)
    {
        shape.Validate();
        inputGrid.Validate("conv2d input");
        if (weights.Isa != Isa) throw new KernelArgumentException($"weights were packed for the {IntegerIsas.Name(weights.Isa)} path, this backend runs {IntegerIsas.Name(Isa)}");
        if (weights.OutChannels != shape.K || weights.Depthwise != shape.IsDepthwise || weights.Depth != shape.CPerGroup * shape.R * shape.S)
            throw new KernelArgumentException($"packed weights ({weights.OutChannels} channels of depth {weights.Depth}) do not fit {shape}");
        if (epilogue.Channels != shape.K) throw new KernelArgumentException($"epilogue has {epilogue.Channels} channels, conv2d has {shape.K}");
        Require(input.Length, shape.InputSize, "conv2d input");
        Require(output.Length, shape.OutputSize, "conv2d output");
        if (!residual.IsNone) Require(residual.Length, shape.OutputSize, "conv2d residual");
        if (output.IsNone) throw new KernelArgumentException("conv2d needs an output tensor");
        if (output.IsCodes) output.Grid.Validate("conv2d output");
        long needed = Conv2dScratchBytes(shape);
        if (scratch.Length < needed) throw new KernelArgumentException($"conv2d scratch holds {scratch.Length} bytes, needs {needed}");

        fixed (byte* x = input)
        fixed (byte* s = scratch)
        fixed (byte* w = weights.Data)
        fixed (int* taps = weights.DepthwiseTaps)
        fixed (int* correction = epilogue.Correction)
        fixed (float* multiplier = epilogue.Multiplier)
        fixed (float* bias = epilogue.Bias)
        fixed (byte* outCodes = output.Codes)
        fixed (float* outFloats = output.Floats)
        fixed (byte* resCodes = residual.Codes)
        fixed (float* resFloats = residual.Floats)
        {
            var (low, high) = EpilogueTarget.Bounds(epilogue.Activation);
            var target = new EpilogueTarget
            {
                Correction = correction, Multiplier = multiplier, Bias = bias, Low = low, High = high, Channels = shape.K,
                OutCodes = output.IsCodes ? outCodes : null, OutFloats = output.IsFloats ? outFloats : null, OutGrid = output.Grid,
                ResidualCodes = residual.IsCodes ? resCodes : null, ResidualFloats = residual.IsFloats ? resFloats : null, ResidualGrid = residual.Grid,
            };
            if (shape.IsDepthwise)
            {
                byte* zeroRow = s + (long)shape.C * 4 * Threads;
                new Span<byte>(zeroRow, shape.C).Fill((byte)inputGrid.Zero);
                var job = new IntegerDepthwise.Job
                {
                    Shape = shape, Input = x, ZeroRow = zeroRow, Taps = taps, Scratch = (int*)s, Vector = Isa != IntegerIsa.Portable, Epilogue = target,
                };
                IntegerDepthwise.Run(job, Threads);
                return;
            }
            long rows = (long)shape.N * shape.P * shape.Q;
            bool direct = IntegerIm2Col.IsDirect(shape);
            var gemm = new IntegerGemm.Job
            {
                A = x, Lda = direct ? shape.C : weights.DepthPadded, Rows = rows, Weights = w, DepthPadded = weights.DepthPadded,
                Channels = shape.K, Isa = Isa, Epilogue = target,
            };
            if (direct)
            {
                IntegerGemm.Run(gemm, Threads);
                return;
            }
            var chunks = new IntegerConvChunks.Job
            {
                Shape = shape, Input = x, Zero = (byte)inputGrid.Zero, Scratch = s, ChunkRows = IntegerConvChunks.ChunkRows(rows, Threads), Gemm = gemm,
            };
            IntegerConvChunks.Run(chunks, Threads);
        }
    }

    public void QuantizeNchw(int n, int c, int h, int w, ReadOnlySpan<float> input, CodeGrid grid, Span<byte> output)
    {
        grid.Validate("quantize output");
        long size = checked((long)n * c * h * w);
        if (n <= 0 || c <= 0 || h <= 0 || w <= 0) throw new KernelArgumentException($"quantize sizes must be positive, got {n}×{c}×{h}×{w}");
        Require(input.Length, size, "quantize input");
        Require(output.Length, size, "quantize output");
        IntegerElementwise.QuantizeNchw(n, c, h, w, input, grid, output);
    }

    public void Convert(long count, IntegerTensor input, Activation activation, IntegerTensor output)
    {
        CheckElementwise(count, input, "convert input");
        CheckElementwise(count, output, "convert output");
        IntegerElementwise.Convert(count, input, activation, output);
    }

    public void Add(long count, IntegerTensor a, IntegerTensor b, Activation activation, IntegerTensor output)
    {
        CheckElementwise(count, a, "add operand a");
        CheckElementwise(count, b, "add operand b");
        CheckElementwise(count, output, "add output");
        IntegerElementwise.Add(count, a, b, activation, output);
    }

    public void MaxPool(in Pool2dShape shape, IntegerTensor input, IntegerTensor output)
    {
        shape.Validate();
        CheckElementwise(shape.InputSize, input, "max pool input");
        CheckElementwise(shape.OutputSize, output, "max pool output");
        if (input.IsCodes && output.IsCodes && input.Grid == output.Grid) IntegerElementwise.MaxPool(shape, input.Codes, output.Codes);
        else IntegerElementwise.MaxPoolValues(shape, input, output);
    }

    public void AvgPool(in Pool2dShape shape, IntegerTensor input, IntegerTensor output)
    {
        shape.Validate();
        CheckElementwise(shape.InputSize, input, "average pool input");
        CheckElementwise(shape.OutputSize, output, "average pool output");
        IntegerElementwise.AvgPool(shape, input, output);
    }

    public void GlobalAvgPool(int n, int c, int hw, IntegerTensor input, IntegerTensor output)
    {
        if (n <= 0 || c <= 0 || hw <= 0) throw new KernelArgumentException($"global average pool sizes must be positive, got n={n}, c={c}, hw={hw}");
        CheckElementwise((long)n * c * hw, input, "global average pool input");
        CheckElementwise((long)n * c, output, "global average pool output");
        IntegerElementwise.GlobalAvgPool(n, c, hw, input, output);
    }

    private static void CheckElementwise(long count, IntegerTensor t, string what)
    {
        if (t.IsNone) throw new KernelArgumentException($"{what} is missing");
        Require(t.Length, count, what);
        if (t.IsCodes) t.Grid.Validate(what);
    }

    private static void Require(long actual, long expected, string what)
    {
        if (actual < expected) throw new KernelArgumentException($"{what} holds {actual} values, expected {expected}");
    }
}
