using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// The 512-bit kernels' form of <see cref="VectorEpilogue"/>: activation, then the output fake quant, on a finished
/// output vector before its single store. Bias is the caller's (it starts the accumulator).
/// </summary>
internal readonly struct VectorEpilogue512
{
    private readonly Activation activation;
    private readonly bool quantize;
    private readonly FakeQuant.Grid512 grid;

    public VectorEpilogue512(Epilogue epilogue)
    {
        activation = epilogue.Activation;
        quantize = epilogue.OutputQuant is not null;
        grid = quantize ? new FakeQuant.Grid512(epilogue.OutputQuant!.Value) : default;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Apply(Vector512<float> v)
    {
        v = Activations.Apply(activation, v);
        return quantize ? grid.Apply(v) : v;
    }
}
