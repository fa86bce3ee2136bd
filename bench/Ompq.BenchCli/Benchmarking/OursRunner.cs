using Ompq.Kernels;

namespace Ompq.Benchmarking;

/// <summary>
/// Runs one op of ours on device buffers allocated once, outside the timing: first the case's inputs (uploaded from
/// the shared host arrays), then the outputs (zero-filled), in that order in the buffer array the op receives.
/// </summary>
public sealed class OursRunner : IBenchRunner
{
    private readonly IKernels _kernels;
    private readonly DeviceBuffer[] _buffers;
    private readonly Action<IKernels, DeviceBuffer[]> _op;
    private readonly int[] _compared;

    /// <param name="outputSizes">Sizes of the buffers after the inputs (outputs and scratch).</param>
    /// <param name="compared">Indices (into inputs then outputs) of the buffers compared with libtorch's outputs, in
    /// libtorch's order; null: every output buffer.</param>
    public OursRunner(IKernels kernels, BenchInputs inputs, long[] outputSizes, Action<IKernels, DeviceBuffer[]> op, int[]? compared = null)
    {
        _kernels = kernels;
        _op = op;
        _buffers = new DeviceBuffer[inputs.Count + outputSizes.Length];
        _compared = compared ?? Enumerable.Range(inputs.Count, outputSizes.Length).ToArray();
        try
        {
            for (int i = 0; i < inputs.Count; i++)
            {
                _buffers[i] = kernels.Allocate(inputs[i].LongLength);
                kernels.Upload(inputs[i], _buffers[i]);
            }
            for (int i = 0; i < outputSizes.Length; i++)
            {
                var buffer = _buffers[inputs.Count + i] = kernels.Allocate(outputSizes[i]);
                kernels.Fill(buffer, 0f);
            }
            kernels.Synchronize();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public void Run()
    {
        _op(_kernels, _buffers);
        _kernels.Synchronize();
    }

    public float[][] RunForOutput()
    {
        Run();
        return _compared.Select(i =>
        {
            var host = new float[_buffers[i].Length];
            _kernels.Download(_buffers[i], host);
            return host;
        }).ToArray();
    }

    public void Dispose()
    {
        foreach (var b in _buffers) b?.Dispose();
    }
}
