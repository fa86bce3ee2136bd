namespace Ompq.Kernels;

/// <summary>
/// The op contract every backend implements. All tensors are fp32, dense, row-major; images are NCHW.
/// Ops are asynchronous on devices that queue work: call <see cref="Synchronize"/> (or Download, which
/// synchronizes) before reading results on the host. Argument errors throw <see cref="KernelArgumentException"/>.
/// </summary>
public partial interface IKernels : IDisposable
{
    BackendInfo Info { get; }

    // ---- memory -------------------------------------------------------------------------------
    /// <summary>Allocates <paramref name="length"/> floats on the backend. Contents are undefined.</summary>
    DeviceBuffer Allocate(long length);
    void Upload(ReadOnlySpan<float> source, BufferSlice destination);
    void Download(BufferSlice source, Span<float> destination);
    void Fill(BufferSlice destination, float value);
    void Copy(BufferSlice source, BufferSlice destination);
    void Synchronize();

    // ---- dense linear algebra -----------------------------------------------------------------
    /// <summary>C = alpha·op(A)·op(B) + beta·C. A is M×K (K×M when TransA), B is K×N (N×K when TransB), C is M×N.</summary>
    void Gemm(in GemmShape shape, BufferSlice a, BufferSlice b, BufferSlice c);

    /// <summary>y[N×Out] = x[N×In]·Wᵀ + bias, W is Out×In (PyTorch nn.Linear layout); bias may be null.</summary>
    void Linear(in LinearShape shape, BufferSlice x, BufferSlice weight, BufferSlice? bias, BufferSlice y, Epilogue epilogue = default);

    // ---- convolution --------------------------------------------------------------------------
    /// <summary>
    /// y = epilogue(conv2d(x, w) + bias). x: N×C×H×W, w: K×(C/groups)×R×S, bias: K or null, y: N×K×P×Q.
    /// Stride, padding, dilation and groups as in torch.nn.functional.conv2d (zero padding).
    /// </summary>
    void Conv2d(in Conv2dShape shape, BufferSlice x, BufferSlice weight, BufferSlice? bias, BufferSlice y, Epilogue epilogue = default);

    // ---- normalization, activation, elementwise -----------------------------------------------
    /// <summary>Inference batch-norm with running statistics: y = (x − mean)/√(var + eps)·gamma + beta, then the activation.</summary>
    void BatchNormInference(in ChannelShape shape, BufferSlice x, BufferSlice gamma, BufferSlice beta,
        BufferSlice runningMean, BufferSlice runningVar, float eps, BufferSlice y, Activation activation = Activation.None);

    /// <summary>y = activation(x) over <paramref name="length"/> elements (in place allowed).</summary>
    void Activate(Activation activation, BufferSlice x, BufferSlice y, long length);

    /// <summary>y = activation(a + b) over <paramref name="length"/> elements (y may alias a or b).</summary>
    void Add(BufferSlice a, BufferSlice b, BufferSlice y, long length, Activation activation = Activation.None);

    // ---- pooling ------------------------------------------------------------------------------
    void MaxPool2d(in Pool2dShape shape, BufferSlice x, BufferSlice y);
    /// <summary>Average pooling; <see cref="Pool2dShape.CountIncludePad"/> as in PyTorch.</summary>
    void AvgPool2d(in Pool2dShape shape, BufferSlice x, BufferSlice y);
    /// <summary>y[N×C] = mean over H·W of x[N×C×H×W].</summary>
    void GlobalAvgPool(in ChannelShape shape, BufferSlice x, BufferSlice y);

    // ---- quantization -------------------------------------------------------------------------
    /// <summary>
    /// Symmetric per-output-channel fake quantization of a weight tensor viewed as channels×perChannel:
    /// scale_c = max|w_c| / (2^(bits−1) − 1), y = clamp(round(w/scale), −2^(bits−1), 2^(bits−1) − 1)·scale.
    /// Writes the scales when <paramref name="scales"/> is given. A channel of zeros stays zero.
    /// </summary>
    void FakeQuantWeightsPerChannel(int channels, long perChannel, int bits, BufferSlice w, BufferSlice y, BufferSlice? scales = null);

    /// <summary>y = (clamp(round(x/scale) + zeroPoint, qmin, qmax) − zeroPoint)·scale, per tensor (round half to even).</summary>
    void FakeQuantPerTensor(in QuantParams quant, BufferSlice x, BufferSlice y, long length);

    /// <summary>
    /// Min and max of x viewed as outer×channels×inner, reduced over outer and inner for each channel
    /// (channels = 1 gives per-tensor; outer = 1 gives per-row). min and max hold <c>channels</c> floats.
    /// </summary>
    void MinMax(long outer, int channels, long inner, BufferSlice x, BufferSlice min, BufferSlice max);

    // ---- orthogonality (OMPQ §3) --------------------------------------------------------------
    /// <summary>K[n×n] = X·Xᵀ for X[n×d]; computes one triangle and mirrors it (full matrix written).</summary>
    void Gram(int n, long d, BufferSlice x, BufferSlice k);

    /// <summary>K̃ = H·K·H with H = I − 11ᵀ/n (subtract row and column means, add the grand mean). In place allowed.</summary>
    void CenterGram(int n, BufferSlice k, BufferSlice centered);

    /// <summary>
    /// For <paramref name="count"/> matrices of <paramref name="elements"/> floats stored back to back,
    /// writes the count×count matrix of Frobenius inner products ⟨M_i, M_j⟩ (symmetric, full).
    /// </summary>
    void FrobeniusProducts(int count, long elements, BufferSlice matrices, BufferSlice products);
}
