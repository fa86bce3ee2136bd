using Ompq.Kernels;

namespace Ompq.Benchmarking;

/// <summary>Owns seeded input buffers on one backend and runs one op on them; buffers are allocated once, outside the timing.</summary>
public sealed class OursRunner : IBenchRunner
{
    private readonly IKernels _kernels;
    private readonly DeviceBuffer[] _buffers;
    private readonly Action<IKernels, DeviceBuffer[]> _op;

    /// <param name="prepare">Adjusts the seeded inputs once, outside the timing (e.g. a variance that must be positive).</param>
    public OursRunner(IKernels kernels, long[] bufferSizes, Action<IKernels, DeviceBuffer[]> op,
        Action<IKernels, DeviceBuffer[]>? prepare = null, int seed = 1)
    {
        _kernels = kernels;
        _op = op;
        _buffers = new DeviceBuffer[bufferSizes.Length];
        var rng = new Random(seed);
        for (int i = 0; i < bufferSizes.Length; i++)
        {
            _buffers[i] = kernels.Allocate(bufferSizes[i]);
            var host = new float[bufferSizes[i]];
            for (long j = 0; j < host.LongLength; j++) host[j] = (float)(rng.NextDouble() * 2 - 1);
            kernels.Upload(host, _buffers[i]);
        }
        prepare?.Invoke(kernels, _buffers);
        kernels.Synchronize();
    }

    public void Run()
    {
        _op(_kernels, _buffers);
        _kernels.Synchronize();
    }

    public void Dispose()
    {
        foreach (var b in _buffers) b.Dispose();
    }
}
