using ILGPU;
using ILGPU.Runtime;

namespace Ompq.Kernels.Ilgpu;

/// <summary>
/// The op contract on an ILGPU accelerator (CUDA, OpenCL, or ILGPU's CPU simulator). Ops are queued on the
/// accelerator's default stream; <see cref="Download"/> and <see cref="Synchronize"/> wait for them. Kernels are
/// compiled once per accelerator, on the first use of their op family.
/// </summary>
public sealed partial class IlgpuKernels : IKernels
{
    private readonly Context _context;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _dummy;
    private readonly Lazy<ElementwiseLauncher> _elementwise;
    private readonly Lazy<GemmLauncher> _gemm;
    private readonly Lazy<Conv2dLauncher> _conv;
    private readonly Lazy<BatchNormLauncher> _batchNorm;
    private readonly Lazy<PoolingLauncher> _pooling;
    private readonly Lazy<FakeQuantLauncher> _fakeQuant;
    private readonly Lazy<MinMaxLauncher> _minMax;
    private readonly Lazy<GramLauncher> _gram;
    private readonly Lazy<OrthogonalityLauncher> _orthogonality;
    private bool _disposed;

    /// <summary>Opens device <paramref name="deviceIndex"/> of <paramref name="kind"/>; throws <see cref="InvalidOperationException"/> when there is none.</summary>
    public IlgpuKernels(IlgpuDeviceKind kind, int deviceIndex = 0)
    {
        Kind = kind;
        _context = DeviceContextFactory.CreateContext(kind);
        try
        {
            var devices = DeviceContextFactory.Devices(_context, kind);
            if (deviceIndex < 0 || deviceIndex >= devices.Length)
                throw new InvalidOperationException($"no {kind.Id()} device #{deviceIndex}: ILGPU found {devices.Length}");
            Accelerator = devices[deviceIndex].CreateAccelerator(_context);
            _dummy = Accelerator.Allocate1D<float>(1);
        }
        catch
        {
            Accelerator?.Dispose();
            _context.Dispose();
            throw;
        }
        Info = new BackendInfo(kind.Id(), Accelerator.Name, Accelerator.MemorySize, Accelerator.NumMultiprocessors);
        _elementwise = new(() => new ElementwiseLauncher(this));
        _gemm = new(() => new GemmLauncher(this));
        _conv = new(() => new Conv2dLauncher(this));
        _batchNorm = new(() => new BatchNormLauncher(this));
        _pooling = new(() => new PoolingLauncher(this));
        _fakeQuant = new(() => new FakeQuantLauncher(this));
        _minMax = new(() => new MinMaxLauncher(this));
        _gram = new(() => new GramLauncher(this));
        _orthogonality = new(() => new OrthogonalityLauncher(this, _gram.Value));
        _convBackward = new(() => new Conv2dBackwardLauncher(this));
        _channelSum = new(() => new ChannelSumLauncher(this));
        _batchNormTraining = new(() => new BatchNormTrainingLauncher(this));
        _poolingBackward = new(() => new PoolingBackwardLauncher(this));
        _softmaxCrossEntropy = new(() => new SoftmaxCrossEntropyLauncher(this));
        _fakeQuantBackward = new(() => new FakeQuantBackwardLauncher(this));
        _optimizerSteps = new(() => new OptimizerStepLauncher(this));
    }

    public IlgpuDeviceKind Kind { get; }

    /// <summary>Tile size of the GEMM and implicit-GEMM convolution kernels (automatic by default); exposed for benchmarks.</summary>
    public GemmTiling GemmTiling { get; set; } = GemmTiling.Auto;
    public BackendInfo Info { get; }
    internal Accelerator Accelerator { get; }
    internal AcceleratorStream Stream => Accelerator.DefaultStream;
    /// <summary>Bound to kernel parameters an op does not use (a missing bias), since views cannot be null.</summary>
    internal ArrayView<float> Dummy => _dummy.View.BaseView;

    /// <summary>The ILGPU view of a slice this backend allocated.</summary>
    internal ArrayView<float> View(BufferSlice slice, string name)
    {
        if (slice.Buffer is not IlgpuBuffer buffer || !ReferenceEquals(buffer.Owner, this))
            throw new KernelArgumentException($"{name} was not allocated by this {Info.Id} backend");
        if (buffer.IsDisposed) throw new KernelArgumentException($"{name} refers to a disposed buffer");
        return buffer.View(slice.Offset, slice.Length);
    }

    // ---- memory -------------------------------------------------------------------------------

    public DeviceBuffer Allocate(long length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (length < 0) throw new KernelArgumentException($"buffer length must be >= 0, got {length}");
        return new IlgpuBuffer(this, Accelerator.Allocate1D<float>(Math.Max(length, 1)), length);
    }

    public void Upload(ReadOnlySpan<float> source, BufferSlice destination)
    {
        destination.Require(source.Length, "destination");
        if (source.IsEmpty) return;
        var view = View(destination, "destination").SubView(0, source.Length);
        view.CopyFromCPU(Stream, source);
        // The span may be stack or pooled memory that the caller reuses as soon as this returns.
        Stream.Synchronize();
    }

    /// <summary>Copies the whole slice into the start of <paramref name="destination"/>, after the queued work.</summary>
    public void Download(BufferSlice source, Span<float> destination)
    {
        var view = View(source, "source");
        if (destination.Length < source.Length)
            throw new KernelArgumentException($"destination holds {destination.Length} floats, expected at least {source.Length}");
        if (source.Length == 0)
        {
            Synchronize();
            return;
        }
        view.CopyToCPU(Stream, destination[..checked((int)source.Length)]);
        Stream.Synchronize();
    }

    public void Fill(BufferSlice destination, float value) => _elementwise.Value.Fill(destination, value);

    public void Copy(BufferSlice source, BufferSlice destination)
    {
        destination.Require(source.Length, "destination");
        if (source.Length == 0) return;
        var from = View(source, "source");
        var to = View(destination, "destination").SubView(0, source.Length);
        from.CopyTo(Stream, to);
    }

    public void Synchronize() => Stream.Synchronize();

    // ---- ops ----------------------------------------------------------------------------------

    public void Gemm(in GemmShape shape, BufferSlice a, BufferSlice b, BufferSlice c) => _gemm.Value.Gemm(shape, a, b, c);

    public void Linear(in LinearShape shape, BufferSlice x, BufferSlice weight, BufferSlice? bias, BufferSlice y, Epilogue epilogue = default)
        => _gemm.Value.Linear(shape, x, weight, bias, y, epilogue);

    public void Conv2d(in Conv2dShape shape, BufferSlice x, BufferSlice weight, BufferSlice? bias, BufferSlice y, Epilogue epilogue = default)
        => _conv.Value.Conv2d(shape, x, weight, bias, y, epilogue);

    public void BatchNormInference(in ChannelShape shape, BufferSlice x, BufferSlice gamma, BufferSlice beta,
        BufferSlice runningMean, BufferSlice runningVar, float eps, BufferSlice y, Activation activation = Activation.None)
        => _batchNorm.Value.Inference(shape, x, gamma, beta, runningMean, runningVar, eps, y, activation);

    public void Activate(Activation activation, BufferSlice x, BufferSlice y, long length) => _elementwise.Value.Activate(activation, x, y, length);

    public void Add(BufferSlice a, BufferSlice b, BufferSlice y, long length, Activation activation = Activation.None)
        => _elementwise.Value.Add(a, b, y, length, activation);

    public void MaxPool2d(in Pool2dShape shape, BufferSlice x, BufferSlice y) => _pooling.Value.MaxPool2d(shape, x, y);

    public void AvgPool2d(in Pool2dShape shape, BufferSlice x, BufferSlice y) => _pooling.Value.AvgPool2d(shape, x, y);

    public void GlobalAvgPool(in ChannelShape shape, BufferSlice x, BufferSlice y) => _pooling.Value.GlobalAvgPool(shape, x, y);

    public void FakeQuantWeightsPerChannel(int channels, long perChannel, int bits, BufferSlice w, BufferSlice y, BufferSlice? scales = null)
        => _fakeQuant.Value.WeightsPerChannel(channels, perChannel, bits, w, y, scales);

    public void FakeQuantPerTensor(in QuantParams quant, BufferSlice x, BufferSlice y, long length)
        => _fakeQuant.Value.PerTensor(quant, x, y, length);

    public void MinMax(long outer, int channels, long inner, BufferSlice x, BufferSlice min, BufferSlice max)
        => _minMax.Value.MinMax(outer, channels, inner, x, min, max);

    public void Gram(int n, long d, BufferSlice x, BufferSlice k) => _gram.Value.Gram(n, d, x, k);

    public void CenterGram(int n, BufferSlice k, BufferSlice centered) => _orthogonality.Value.CenterGram(n, k, centered);

    public void FrobeniusProducts(int count, long elements, BufferSlice matrices, BufferSlice products)
        => _orthogonality.Value.FrobeniusProducts(count, elements, matrices, products);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            Accelerator.Synchronize();
        }
        finally
        {
            if (_orthogonality.IsValueCreated) _orthogonality.Value.Dispose();
            if (_gram.IsValueCreated) _gram.Value.Dispose();
            if (_minMax.IsValueCreated) _minMax.Value.Dispose();
            if (_fakeQuant.IsValueCreated) _fakeQuant.Value.Dispose();
            if (_conv.IsValueCreated) _conv.Value.Dispose();
            _dummy.Dispose();
            Accelerator.Dispose();
            _context.Dispose();
        }
    }
}
