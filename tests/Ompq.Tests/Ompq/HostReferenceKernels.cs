using Ompq.Kernels;

namespace Ompq.Tests.Ompq;

/// <summary>
/// A plain, single-threaded host backend with only the ops the OMPQ runtime calls (memory, GEMM, Gram, centring,
/// Frobenius products), accumulating in double. It lets the OMPQ tests run without depending on a real
/// backend; the real backends are checked against TorchSharp by the shared kernel suite.
/// </summary>
internal sealed class HostReferenceKernels : IKernels
{
    private sealed class HostBuffer(IKernels owner, long length) : DeviceBuffer(owner, length)
    {
        public readonly float[] Data = new float[length];
        protected override void Release() { }
    }

    public BackendInfo Info { get; } = new("host-reference", "managed reference", 0, 1);

    private static Span<float> Span(BufferSlice s) => ((HostBuffer)s.Buffer).Data.AsSpan((int)s.Offset, (int)s.Length);

    public DeviceBuffer Allocate(long length) => new HostBuffer(this, length);
    public void Upload(ReadOnlySpan<float> source, BufferSlice destination) => source.CopyTo(Span(destination));
    public void Download(BufferSlice source, Span<float> destination) => Span(source).CopyTo(destination);
    public void Fill(BufferSlice destination, float value) => Span(destination).Fill(value);
    public void Copy(BufferSlice source, BufferSlice destination) => Span(source).CopyTo(Span(destination));
    public void Synchronize() { }

    public void Gemm(in GemmShape s, BufferSlice a, BufferSlice b, BufferSlice c)
    {
        var A = Span(a).ToArray(); var B = Span(b).ToArray(); var C = Span(c);
        for (int i = 0; i < s.M; i++)
        for (int j = 0; j < s.N; j++)
        {
            double sum = 0;
            for (int k = 0; k < s.K; k++)
                sum += (double)A[s.TransA ? k * s.M + i : i * s.K + k] * B[s.TransB ? j * s.K + k : k * s.N + j];
            C[i * s.N + j] = (float)(s.Alpha * sum + (s.Beta == 0 ? 0 : s.Beta * C[i * s.N + j]));
        }
    }

    public void Gram(int n, long d, BufferSlice x, BufferSlice k)
        => Gemm(new GemmShape(n, n, (int)d, TransB: true), x, x, k);

    public void CenterGram(int n, BufferSlice k, BufferSlice centered)
    {
        var K = Span(k).ToArray();
        var rowMean = new double[n];
        double grand = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++) rowMean[i] += K[i * n + j];
            grand += rowMean[i];
            rowMean[i] /= n;
        }
        grand /= (double)n * n;
        var C = Span(centered);
        for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            C[i * n + j] = (float)(K[i * n + j] - rowMean[i] - rowMean[j] + grand); // K symmetric: column mean = row mean
    }

    public void FrobeniusProducts(int count, long elements, BufferSlice matrices, BufferSlice products)
    {
        var M = Span(matrices).ToArray();
        var P = Span(products);
        for (int i = 0; i < count; i++)
        for (int j = 0; j < count; j++)
        {
            double sum = 0;
            for (long e = 0; e < elements; e++) sum += (double)M[i * elements + e] * M[j * elements + e];
            P[i * count + j] = (float)sum;
        }
    }

    private static NotSupportedException NotNeeded() => new("the OMPQ reference backend only has the ops OMPQ's ORM and allocation call");
    public void Linear(in LinearShape shape, BufferSlice x, BufferSlice weight, BufferSlice? bias, BufferSlice y, Epilogue epilogue = default) => throw NotNeeded();
    public void Conv2d(in Conv2dShape shape, BufferSlice x, BufferSlice weight, BufferSlice? bias, BufferSlice y, Epilogue epilogue = default) => throw NotNeeded();
    public void BatchNormInference(in ChannelShape shape, BufferSlice x, BufferSlice gamma, BufferSlice beta, BufferSlice runningMean, BufferSlice runningVar, float eps, BufferSlice y, Activation activation = Activation.None) => throw NotNeeded();
    public void Activate(Activation activation, BufferSlice x, BufferSlice y, long length) => throw NotNeeded();
    public void Add(BufferSlice a, BufferSlice b, BufferSlice y, long length, Activation activation = Activation.None) => throw NotNeeded();
    public void MaxPool2d(in Pool2dShape shape, BufferSlice x, BufferSlice y) => throw NotNeeded();
    public void AvgPool2d(in Pool2dShape shape, BufferSlice x, BufferSlice y) => throw NotNeeded();
    public void GlobalAvgPool(in ChannelShape shape, BufferSlice x, BufferSlice y) => throw NotNeeded();
    public void FakeQuantWeightsPerChannel(int channels, long perChannel, int bits, BufferSlice w, BufferSlice y, BufferSlice? scales = null) => throw NotNeeded();
    public void FakeQuantPerTensor(in QuantParams quant, BufferSlice x, BufferSlice y, long length) => throw NotNeeded();
    public void MinMax(long outer, int channels, long inner, BufferSlice x, BufferSlice min, BufferSlice max) => throw NotNeeded();
    public void Dispose() { }
}
