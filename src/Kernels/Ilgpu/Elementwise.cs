using ILGPU;
using ILGPU.Runtime;

namespace Ompq.Kernels.Ilgpu;

/// <summary>One-thread-per-element kernels: fill, activation and its gradient, residual add with activation, axpy.</summary>
internal static class ElementwiseKernels
{
    public static void Fill(Index1D index, ArrayView<float> y, float value) => y[index] = value;

    public static void Activate(Index1D index, ArrayView<float> x, ArrayView<float> y, int activation)
        => y[index] = EpilogueArgs.Activate(activation, x[index]);

    public static void Add(Index1D index, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, int activation)
        => y[index] = EpilogueArgs.Activate(activation, a[index] + b[index]);

    /// <summary>Passes dy where the output lies strictly inside the linear range (a NaN output passes nothing).</summary>
    public static void ActivateBackward(Index1D index, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int activation)
    {
        float output = y[index];
        // "Not at or beyond a bound", as torch's threshold/hardtanh backward: a NaN output passes its gradient on (as on cpu).
        bool passes = activation == 0 || (!(output <= 0f) && (activation != 2 || !(output >= 6f)));
        dx[index] = passes ? dy[index] : 0f;
    }

    public static void Axpy(Index1D index, float alpha, ArrayView<float> x, ArrayView<float> y) => y[index] = alpha * x[index] + y[index];
}

internal sealed class ElementwiseLauncher
{
    private readonly IlgpuKernels _owner;
    private readonly Action<Index1D, ArrayView<float>, float> _fill;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int> _activate;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> _add;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> _activateBackward;
    private readonly Action<Index1D, float, ArrayView<float>, ArrayView<float>> _axpy;

    public ElementwiseLauncher(IlgpuKernels owner)
    {
        _owner = owner;
        var accelerator = owner.Accelerator;
        _fill = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float>(ElementwiseKernels.Fill);
        _activate = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(ElementwiseKernels.Activate);
        _add = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(ElementwiseKernels.Add);
        _activateBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(ElementwiseKernels.ActivateBackward);
        _axpy = accelerator.LoadAutoGroupedStreamKernel<Index1D, float, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Axpy);
    }

    public void Fill(BufferSlice destination, float value)
    {
        if (destination.Length == 0) return;
        CheckLength(destination.Length);
        _fill((int)destination.Length, _owner.View(destination, "destination"), value);
    }

    public void Activate(Activation activation, BufferSlice x, BufferSlice y, long length)
    {
        EpilogueArgs.CheckActivation(activation);
        CheckLength(length);
        x.Require(length, "x");
        y.Require(length, "y");
        if (length == 0) return;
        _activate((int)length, _owner.View(x, "x"), _owner.View(y, "y"), (int)activation);
    }

    public void Add(BufferSlice a, BufferSlice b, BufferSlice y, long length, Activation activation)
    {
        EpilogueArgs.CheckActivation(activation);
        CheckLength(length);
        a.Require(length, "a");
        b.Require(length, "b");
        y.Require(length, "y");
        if (length == 0) return;
        _add((int)length, _owner.View(a, "a"), _owner.View(b, "b"), _owner.View(y, "y"), (int)activation);
    }

    public void ActivateBackward(Activation activation, BufferSlice y, BufferSlice dy, BufferSlice dx, long length)
    {
        EpilogueArgs.CheckActivation(activation);
        TrainingArguments.Elementwise(length, y, "y", dy, "dy", dx, "dx");
        CheckLength(length);
        if (length == 0) return;
        _activateBackward((int)length, _owner.View(y, "y"), _owner.View(dy, "dy"), _owner.View(dx, "dx"), (int)activation);
    }

    public void Axpy(float alpha, BufferSlice x, BufferSlice y, long length)
    {
        TrainingArguments.Axpy(x, y, length);
        CheckLength(length);
        if (length == 0) return;
        _axpy((int)length, alpha, _owner.View(x, "x"), _owner.View(y, "y"));
    }

    internal static void CheckLength(long length)
    {
        if (length < 0) throw new KernelArgumentException($"length must be >= 0, got {length}");
        if (length > int.MaxValue) throw new KernelArgumentException($"length {length} is too large for one launch");
    }
}
