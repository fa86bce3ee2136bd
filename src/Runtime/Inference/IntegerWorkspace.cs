using System.Runtime.InteropServices;
using Ompq.Kernels;

namespace Ompq.Runtime.Inference;

/// <summary>
/// The memory one Predict call runs in: a native 64-byte-aligned buffer per plan slot, one for input conversions and
/// one for conv scratch, sized for a batch and grown (never shrunk) when a larger batch comes. One call at a time;
/// <see cref="QuantizedModel"/> pools them, so a steady stream of same-sized requests allocates nothing.
/// </summary>
internal sealed unsafe class IntegerWorkspace : IDisposable
{
    private readonly IntegerPlan _plan;
    private readonly IIntegerKernels _kernels;
    private readonly byte*[] _slots;
    private byte* _conversion;
    private byte* _scratch;
    private long _scratchBytes;
    private float* _images;
    private long _imageCount;

    public IntegerWorkspace(IntegerPlan plan, IIntegerKernels kernels)
    {
        _plan = plan;
        _kernels = kernels;
        _slots = new byte*[plan.SlotBytesPerImage.Length];
    }

    public int Capacity { get; private set; }

    public void EnsureCapacity(int batch)
    {
        if (batch <= Capacity) return;
        Free();
        try
        {
            for (int s = 0; s < _slots.Length; s++) _slots[s] = Allocate(checked(_plan.SlotBytesPerImage[s] * batch));
            _conversion = Allocate(checked(_plan.ConversionBytesPerImage * batch));
            long scratch = 0;
            foreach (var step in _plan.Steps)
                if (step is WeightLayerStep layer) scratch = Math.Max(scratch, _kernels.Conv2dScratchBytes(layer.Shape(batch)));
            _scratch = Allocate(scratch);
            _scratchBytes = scratch;
        }
        catch
        {
            Free();
            throw;
        }
        Capacity = batch;
    }

    private static byte* Allocate(long bytes)
    {
        if (bytes > int.MaxValue) throw new InvalidInputException($"a workspace buffer of {bytes} bytes exceeds 2 GiB; use a smaller batch");
        return (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 64), 64);
    }

    /// <summary>Points value 0 at the caller's images for the duration of one run (the caller keeps them pinned).</summary>
    public void BindImages(float* images, long count)
    {
        _images = images;
        _imageCount = count;
    }

    public bool IsImages(int value) => _plan.Values[value].Storage == ValueStorage.Images;

    public ReadOnlySpan<float> Images(long count) => new(_images, checked((int)Math.Min(count, _imageCount)));

    public Span<byte> Conversion(long count) => new(_conversion, checked((int)count));

    public Span<byte> Scratch => new(_scratch, checked((int)_scratchBytes));

    public IntegerTensor Tensor(int value, int batch)
    {
        var v = _plan.Values[value];
        long count = checked(v.PerImage * batch);
        byte* memory = _slots[v.Slot];
        return v.Storage == ValueStorage.Codes
            ? IntegerTensor.OfCodes(new Span<byte>(memory, checked((int)count)), v.Grid)
            : IntegerTensor.OfFloats(new Span<float>(memory, checked((int)count)));
    }

    private void Free()
    {
        for (int s = 0; s < _slots.Length; s++)
        {
            if (_slots[s] != null) NativeMemory.AlignedFree(_slots[s]);
            _slots[s] = null;
        }
        if (_conversion != null) NativeMemory.AlignedFree(_conversion);
        if (_scratch != null) NativeMemory.AlignedFree(_scratch);
        _conversion = _scratch = null;
        _scratchBytes = 0;
        Capacity = 0;
    }

    public void Dispose() => Free();
}
